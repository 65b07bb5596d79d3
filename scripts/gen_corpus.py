#!/usr/bin/env python3
"""Generates leakhound's labeled evaluation corpus under fixtures/corpus/.

Every secret is synthetic: random characters in the documented shape of its format, with a
valid checksum where the format has one (GitHub and npm tokens: CRC32 in base62). Look-alikes
are what fools scanners: vendor documentation examples, keys that are public by design,
placeholders, hashes, UUIDs, encoded images, password-policy code and i18n strings.

The random generator is seeded, so running this again rewrites the same corpus byte for byte:

    python3 scripts/gen_corpus.py            # writes fixtures/corpus/ and its manifest.tsv

manifest.tsv has one case per line: file, line, column (1-based, where the value starts),
expect (`must` = a scanner must report it, `must-not` = it must not), type, and optionally the
rule id expected.
"""

import base64
import json
import os
import random
import shutil
import zlib
from pathlib import Path

SEED = 20240607
ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
BASE62 = DIGITS + UPPER + LOWER
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"

rng = random.Random(SEED)


def chars(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# ---------------------------------------------------------------------------------------
# Secrets in the shape of their format.


def base62_6(n):
    out = ""
    for _ in range(6):
        out = BASE62[n % 62] + out
        n //= 62
    return out


def crc_token(prefix):
    body = chars(30)
    return f"{prefix}_{body}{base62_6(zlib.crc32(body.encode()))}"


def password():
    """A strong random password: letters, digits and a few symbols."""
    alphabet = ALNUM + "!#%&*+-.:=?@^_~"
    while True:
        p = chars(rng.randint(14, 22), alphabet)
        if any(c in DIGITS for c in p) and any(c in UPPER for c in p):
            return p


def human_password():
    words = ["Orchid", "Falcon", "Granite", "Velvet", "Harbor", "Meadow", "Copper", "Tundra"]
    return f"{rng.choice(words)}{rng.choice(words).lower()}{rng.randint(10, 99)}{rng.choice('!#%&')}{rng.choice(words)[:3]}"


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = {"sub": chars(12), "iat": rng.randint(1600000000, 1700000000), "role": "service"}
    return f"{header}.{b64url(json.dumps(payload).encode())}.{chars(43, B64URL)}"


def pem_body(lines=8):
    return "\n".join(chars(64, B64) for _ in range(lines))


SECRETS = {
    "aws-access-key-id": lambda: "AKIA" + chars(16, UPPER + "234567"),
    "aws-secret-access-key": lambda: chars(40, B64),
    "github-pat": lambda: crc_token("ghp"),
    "github-oauth": lambda: crc_token("gho"),
    "github-app-token": lambda: crc_token("ghs"),
    "github-fine-grained-pat": lambda: f"github_pat_11{chars(20, UPPER + DIGITS)}_{chars(59)}",
    "gitlab-pat": lambda: "glpat-" + chars(20, ALNUM + "-_"),
    "gitlab-runner-token": lambda: "glrt-" + chars(20, ALNUM + "-_"),
    "npm-token": lambda: crc_token("npm"),
    "pypi-token": lambda: "pypi-AgEIcHlwaS5vcmc" + chars(70, B64URL),
    "rubygems-key": lambda: "rubygems_" + chars(48, HEX),
    "dockerhub-pat": lambda: "dckr_pat_" + chars(27, ALNUM + "-_"),
    "slack-bot-token": lambda: f"xoxb-{rng.randint(10**10, 10**11)}-{rng.randint(10**10, 10**11)}-{chars(24)}",
    "slack-user-token": lambda: f"xoxp-{rng.randint(10**10, 10**11)}-{rng.randint(10**10, 10**11)}-{rng.randint(10**10, 10**11)}-{chars(32, HEX)}",
    "slack-webhook": lambda: f"https://hooks.slack.com/services/T{chars(8, UPPER + DIGITS)}/B{chars(10, UPPER + DIGITS)}/{chars(24)}",
    "discord-webhook": lambda: f"https://discord.com/api/webhooks/{rng.randint(10**17, 10**18)}/{chars(68, B64URL)}",
    "discord-bot-token": lambda: f"{rng.choice('MN')}{chars(23)}.{chars(6, B64URL)}.{chars(27, B64URL)}",
    "teams-webhook": lambda: f"https://acme.webhook.office.com/webhookb2/{uuid()}@{uuid()}/IncomingWebhook/{chars(32, HEX)}/{uuid()}",
    "stripe-secret-key": lambda: "sk_live_" + chars(24),
    "stripe-restricted-key": lambda: "rk_live_" + chars(24),
    "twilio-api-key": lambda: "SK" + chars(32, HEX),
    "sendgrid-api-key": lambda: f"SG.{chars(22, B64URL)}.{chars(43, B64URL)}",
    "mailgun-api-key": lambda: "key-" + chars(32, HEX),
    "mailchimp-api-key": lambda: f"{chars(32, HEX)}-us{rng.randint(1, 20)}",
    "google-api-key": lambda: "AIza" + chars(35, B64URL),
    "gcp-service-account": lambda: pem_body(),
    "openai-api-key": lambda: f"sk-proj-{chars(74, B64URL)}T3BlbkFJ{chars(74, B64URL)}",
    "anthropic-api-key": lambda: f"sk-ant-api03-{chars(93, B64URL)}AA",
    "huggingface-token": lambda: "hf_" + chars(34, UPPER + LOWER),
    "azure-storage-key": lambda: chars(86, B64) + "==",
    "azure-sas-token": lambda: chars(43, B64),
    "azure-ad-client-secret": lambda: chars(3, ALNUM) + "8Q~" + chars(34, ALNUM + "_.~-"),
    "jwt": jwt,
    "shopify-access-token": lambda: "shpat_" + chars(32, HEX),
    "shopify-shared-secret": lambda: "shpss_" + chars(32, HEX),
    "newrelic-user-key": lambda: "NRAK-" + chars(27, UPPER + DIGITS),
    "sentry-user-token": lambda: "sntryu_" + chars(64, HEX),
    "digitalocean-token": lambda: "dop_v1_" + chars(64, HEX),
    "telegram-bot-token": lambda: f"{rng.randint(10**8, 10**9)}:AA{chars(33, B64URL)}",
    "linear-api-key": lambda: "lin_api_" + chars(40),
    "notion-token": lambda: "ntn_" + chars(11, DIGITS) + chars(35),
    "atlassian-api-token": lambda: "ATATT3xFfGF0" + chars(174, B64URL) + "=" + chars(8, HEX.upper()),
    "square-access-token": lambda: "EAAA" + chars(60, B64URL),
    "vault-token": lambda: "hvs." + chars(90, B64URL),
    "terraform-cloud-token": lambda: f"{chars(14)}.atlasv1.{chars(67)}",
    "doppler-token": lambda: "dp.pt." + chars(43),
    "pulumi-token": lambda: "pul-" + chars(40, HEX),
    "grafana-service-account-token": lambda: f"glsa_{chars(32)}_{chars(8, HEX)}",
    "age-secret-key": lambda: "AGE-SECRET-KEY-1" + chars(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
    "databricks-token": lambda: "dapi" + chars(32, HEX),
    "postman-api-key": lambda: f"PMAK-{chars(24, HEX)}-{chars(34, HEX)}",
    "alibaba-access-key-id": lambda: "LTAI" + chars(20),
    "mapbox-secret-token": lambda: f"sk.{b64url(json.dumps({'u': chars(8, LOWER), 'a': chars(12)}).encode())}.{chars(22)}",
    "planetscale-password": lambda: "pscale_pw_" + chars(43, ALNUM + "_"),
    "flyio-token": lambda: "fo1_" + chars(43, B64URL),
    "private-key-rsa": lambda: pem_body(),
    "private-key-openssh": lambda: pem_body(),
    "private-key-ec": lambda: pem_body(4),
    "private-key-pgp": lambda: pem_body(),
}


def uuid():
    h = chars(32, HEX)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


# ---------------------------------------------------------------------------------------
# Files and labels.


class File:
    def __init__(self, path):
        self.path = path
        self.lines = []
        self.cases = []

    def line(self, text=""):
        self.lines.extend(text.split("\n"))
        return self

    def case(self, expect, kind, text, value, rule=""):
        """Adds `text` (which may span lines) and labels the line where `value` starts."""
        before = len(self.lines)
        self.lines.extend(text.split("\n"))
        offset = text.index(value)
        head = text[:offset].split("\n")
        line = before + len(head)
        column = len(head[-1]) + 1
        self.cases.append((self.path, line, column, expect, kind, rule))
        return value

    def must(self, kind, template, rule="", value=None):
        """`template` holds `{}` where the secret goes; a fresh secret of `kind` is made."""
        value = value if value is not None else SECRETS[kind]()
        return self.case("must", kind, template.replace("{}", value), value, rule)

    def must_not(self, kind, text, value=None):
        return self.case("must-not", kind, text, value if value is not None else text.strip())

    def render(self):
        return "\n".join(self.lines) + "\n"


FILES = []


def new(path):
    f = File(path)
    FILES.append(f)
    return f


# Well-known public values that look like secrets. Vendor documentation examples, the Azure
# storage emulator's published key and the jwt.io sample token are not secrets anywhere.
AWS_DOC_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
JWT_IO = ".".join([
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
])
SLACK_DOC = "https://hooks.slack.com/services/T00000000/B00000000/" + "X" * 24


def sha256():
    return chars(64, HEX)


def git_sha():
    return chars(40, HEX)


def bcrypt():
    return "$2b$12$" + chars(53, ALNUM + "./")


def argon2():
    return f"$argon2id$v=19$m=65536,t=3,p=4${chars(22, B64.replace('+', ''))}${chars(43, B64.replace('+', ''))}"


def integrity():
    return "sha512-" + base64.b64encode(rng.randbytes(64)).decode()


def png_b64():
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + rng.randbytes(180)).decode()


def mapbox_public():
    return f"pk.{b64url(json.dumps({'u': chars(8, LOWER), 'a': chars(12)}).encode())}.{chars(22)}"


def armor(label, body, sep="\n"):
    """A PEM-style block; the label is a parameter so this script holds no key header."""
    return f"-----BEGIN {label}-----{sep}{body}{sep}-----END {label}-----"


def public_key_pem():
    return "-----BEGIN PUBLIC KEY-----\n" + pem_body(6) + "\n-----END PUBLIC KEY-----"


def certificate_pem():
    return "-----BEGIN CERTIFICATE-----\n" + pem_body(10) + "\n-----END CERTIFICATE-----"


def ssh_public_key():
    return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" + chars(44, B64) + " deploy@ci"


def python_settings():
    f = new("app/settings.py")
    f.line('"""Django settings for the billing service."""\nimport os\n')
    f.must("generic-password", 'DATABASE_PASSWORD = "{}"', value=password())
    f.must("aws-access-key-id", 'AWS_ACCESS_KEY_ID = "{}"', "aws-access-key-id")
    f.must("aws-secret-access-key", 'AWS_SECRET_ACCESS_KEY = "{}"', "aws-secret-access-key")
    f.must("stripe-secret-key", 'STRIPE_API_KEY = "{}"', "stripe-secret-key")
    f.must("sendgrid-api-key", 'SENDGRID_API_KEY = "{}"')
    f.must("generic-secret", 'SECRET_KEY = "{}"', value=chars(50, ALNUM + "!@#%^&*(-_=+)"))
    f.must("postgres-uri", 'DATABASE_URL = "postgres://billing:{}@db.internal:5432/billing"', value=password().replace("@", "x").replace(":", "y"))
    f.line()
    f.must_not("placeholder", 'EMAIL_HOST_PASSWORD = os.environ["EMAIL_HOST_PASSWORD"]')
    f.must_not("placeholder", 'REDIS_PASSWORD = os.getenv("REDIS_PASSWORD", "")')
    f.must_not("aws-doc-example", f'EXAMPLE_KEY_ID = "{AWS_DOC_ID}"', AWS_DOC_ID)
    f.must_not("password-policy", "AUTH_PASSWORD_VALIDATORS = [{'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'}]")
    f.must_not("password-policy", "PASSWORD_MIN_LENGTH = 12")
    f.must_not("placeholder", 'FAKE_PASSWORD = "not-a-real-password"')
    f.must_not("uuid", f'REQUEST_ID = "{uuid()}"')
    f.must_not("hash", f'STATIC_MANIFEST_SHA256 = "{sha256()}"')
    f.must_not("placeholder", 'API_TOKEN = "<your-api-token>"')
    f.must_not("label", 'PASSWORD_FIELD = "password"')


def python_client():
    f = new("app/clients.py")
    f.line("import requests\n\n")
    f.must("openai-api-key", 'client = OpenAI(api_key="{}")')
    f.must("anthropic-api-key", 'anthropic = Anthropic(api_key="{}")')
    f.must("huggingface-token", 'login(token="{}")')
    f.must("github-pat", 'headers = {"Authorization": "token {}"}', "github-pat")
    f.must("slack-bot-token", 'slack = WebClient(token="{}")', "slack-token")
    f.must("generic-password", 'conn = psycopg2.connect(host="db", user="app", password="{}")', value=password())
    f.must("mongodb-uri", 'client = MongoClient("mongodb+srv://svc_reports:{}@cluster0.ab1cd.mongodb.net/reports")', value=chars(16))
    f.must("redis-uri", 'cache = redis.from_url("redis://:{}@cache.internal:6379/0")', value=chars(24))
    f.must("telegram-bot-token", 'bot = telebot.TeleBot("{}")')
    f.line()
    f.must_not("password-policy", "if len(password) < 8:\n    raise ValueError('password too short')", "if len(password) < 8:")
    f.must_not("password-policy", "password = request.form['password']")
    f.must_not("password-policy", "def check_password(password: str, hashed: str) -> bool:")
    f.must_not("hash", f'hashed = "{bcrypt()}"')
    f.must_not("hash", f'stored = "{argon2()}"')
    f.must_not("placeholder", 'client = OpenAI(api_key="sk-...")')
    f.must_not("placeholder", 'token = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"')
    f.must_not("git-sha", f'PINNED_COMMIT = "{git_sha()}"')
    f.must_not("label", 'TOKEN_URL = "https://oauth2.googleapis.com/token"')
    f.must_not("placeholder", 'secret = settings.SECRET_KEY')


def notebook():
    cells = []
    f = new("notebooks/explore.ipynb")
    f.line('{\n "cells": [\n  {\n   "cell_type": "code",\n   "execution_count": 1,\n   "metadata": {},\n   "outputs": [],\n   "source": [')
    f.line('    "import os\\n",')
    f.must("github-pat", '    "GITHUB_TOKEN = \\"{}\\"\\n",', "github-pat")
    f.must("generic-password", '    "db_password = \\"{}\\"\\n",', value=password().replace("\\", "x"))
    f.must("openai-api-key", '    "openai.api_key = \\"{}\\"\\n",')
    f.must("aws-secret-access-key", '    "aws_secret_access_key = \\"{}\\"\\n",', "aws-secret-access-key")
    f.must_not("placeholder", '    "api_key = os.environ[\\"API_KEY\\"]\\n",', 'api_key')
    f.must_not("placeholder", '    "password = \\"changeme\\"\\n",', 'password')
    f.line('    "print(1)"\n   ]\n  },\n  {\n   "cell_type": "display_data",\n   "metadata": {},\n   "source": []')
    f.must_not("base64-image", '   "data": {"image/png": "' + png_b64() + '"}', "image/png")
    f.line('  }\n ],\n "metadata": {"kernelspec": {"name": "python3"}},\n "nbformat": 4,\n "nbformat_minor": 5\n}')


def javascript():
    f = new("web/src/api.js")
    f.line("import axios from 'axios';\n")
    f.must("generic-password", "const password = '{}';", value=password().replace("'", "x"))
    f.must("google-api-key", "const GOOGLE_MAPS_KEY = '{}';")
    f.must("mailgun-api-key", "const mg = mailgun.client({ username: 'api', key: '{}' });")
    f.must("discord-webhook", "const hook = '{}';")
    f.must("generic-secret", "  clientSecret: '{}',", value=chars(40, ALNUM + "-_"))
    f.must("twilio-api-key", "const twilio = require('twilio')('{}', process.env.TWILIO_SECRET);")
    f.must("jwt", "axios.defaults.headers.common['Authorization'] = 'Bearer {}';", "jwt")
    f.must("basic-auth-url", "const feed = 'https://deploy:{}@registry.acme-internal.com/feed';", value=chars(20))
    f.line()
    f.must_not("public-by-design", f"const stripe = Stripe('pk_live_{chars(24)}');", "pk_live_")
    f.must_not("public-by-design", f"mapboxgl.accessToken = '{mapbox_public()}';", "pk.")
    f.must_not("public-by-design", f"const search = algoliasearch('{chars(10, UPPER + DIGITS)}', '{chars(32, HEX)}');", "algoliasearch")
    f.must_not("placeholder", "const apiKey = process.env.API_KEY;")
    f.must_not("jwt-io-sample", f"// e.g. {JWT_IO}", JWT_IO)
    f.must_not("password-policy", "if (password.length < 12) { errors.push('Password must be at least 12 characters'); }")
    f.must_not("password-policy", "const passwordRegex = /^(?=.*[a-z])(?=.*[A-Z])(?=.*\\d).{8,}$/;")
    f.must_not("i18n", "  forgotPassword: 'Forgot your password?',")
    f.must_not("uuid", f"const sessionId = '{uuid()}';")
    f.must_not("placeholder", "const token = 'YOUR_TOKEN_HERE';")
    f.must_not("label", "const TOKEN_STORAGE_KEY = 'auth_token';")


def typescript():
    f = new("web/src/config.ts")
    f.line("export const config = {")
    f.must("stripe-restricted-key", "  stripeKey: '{}',")
    f.must("sentry-user-token", "  sentryAuthToken: '{}',")
    f.must("generic-password", "  dbPassword: '{}',", value=password().replace("'", "x"))
    f.must("azure-ad-client-secret", "  azureClientSecret: '{}',")
    f.must("shopify-access-token", "  shopifyToken: '{}',")
    f.must("linear-api-key", "  linearKey: '{}',")
    f.must_not("placeholder", "  apiKey: process.env.NEXT_PUBLIC_API_KEY ?? '',")
    f.must_not("placeholder", "  password: '',")
    f.must_not("label", "  passwordLabel: 'Password',")
    f.must_not("placeholder", "  secret: '********',")
    f.line("};\n")
    f.line("interface Credentials {\n  username: string;\n  password: string;\n}")
    f.must_not("password-policy", "export function isStrong(password: string): boolean { return password.length >= 12; }")


def minified():
    f = new("web/dist/app.min.js")
    f.line("/*! app v2.3.1 | MIT */")
    parts = []
    for _ in range(40):
        parts.append(f"function {chars(2, LOWER)}({chars(1, LOWER)}){{return {chars(1, LOWER)}.{chars(6, LOWER)}({chars(1, LOWER)})}}")
    filler = ";".join(parts)
    f.line(filler + ";var e=\"" + png_b64() + "\";" + filler)
    f.must("github-oauth", filler + ';var t={headers:{Authorization:"Bearer {}"}};' + filler)
    f.must("stripe-secret-key", filler + ';Stripe.setKey("{}");' + filler, "stripe-secret-key")
    f.must("slack-webhook", filler + ';fetch("{}",{method:"POST"});' + filler, "slack-webhook-url")
    f.must_not("public-by-design", filler + f';Stripe("pk_live_{chars(24)}");' + filler, "pk_live_")
    f.must_not("hash", filler + f';var c="{chars(20, HEX)}",d="{sha256()}";' + filler, 'var c=')
    f.line("//# sourceMappingURL=app.min.js.map")


def go_file():
    f = new("services/ingest/main.go")
    f.line("package main\n\nimport (\n\t\"database/sql\"\n\t\"os\"\n)\n")
    f.must("generic-password", '\tpassword := "{}"', value=password().replace('"', "x"))
    f.must("mysql-uri", '\tdsn := "ingest:{}@tcp(mysql.internal:3306)/events?parseTime=true"', value=chars(18))
    f.must("digitalocean-token", '\tclient := godo.NewFromToken("{}")')
    f.must("github-fine-grained-pat", '\tconst ghToken = "{}"')
    f.must("gitlab-pat", '\tgl, _ := gitlab.NewClient("{}")')
    f.must("vault-token", '\tvaultClient.SetToken("{}")')
    f.must("generic-secret", '\tvar webhookSecret = "{}"', value=chars(32, ALNUM))
    f.line()
    f.must_not("placeholder", '\tapiKey := os.Getenv("API_KEY")')
    f.must_not("password-policy", "\tif len(password) < minPasswordLength {")
    f.must_not("label", '\tconst passwordHeader = "X-Password-Hash"')
    f.must_not("uuid", f'\ttenantID := "{uuid()}"')
    f.must_not("placeholder", '\tdsn := "user:password@tcp(localhost:3306)/dbname"', "user:password")


def java():
    f = new("src/main/java/com/acme/billing/Config.java")
    f.line("package com.acme.billing;\n\npublic final class Config {")
    f.must("generic-password", '    private static final String DB_PASSWORD = "{}";', value=password().replace('"', "x"))
    f.must("twilio-api-key", '    static final String TWILIO_KEY = "{}";')
    f.must("jdbc-password", '    String url = "jdbc:postgresql://pg.internal:5432/billing?user=billing&password={}";', value=chars(18))
    f.must("square-access-token", '    SquareClient square = new SquareClient.Builder().accessToken("{}").build();')
    f.must("alibaba-access-key-id", '    String accessKeyId = "{}";')
    f.must_not("placeholder", '    String password = System.getenv("DB_PASSWORD");')
    f.must_not("password-policy", "    if (password.length() < MIN_PASSWORD_LENGTH) throw new WeakPasswordException();")
    f.must_not("label", '    public static final String PASSWORD_PARAM = "password";')
    f.must_not("i18n", '    messages.put("password.reset", "Your password has been reset");', "password.reset")
    f.line("}")


def properties():
    f = new("src/main/resources/application.properties")
    f.line("spring.application.name=billing\nserver.port=8080")
    f.must("generic-password", "spring.datasource.password={}", value=password())
    f.must("generic-password", "spring.mail.password={}", value=human_password())
    f.must("generic-secret", "jwt.secret={}", value=chars(48, ALNUM))
    f.must("aws-secret-access-key", "cloud.aws.credentials.secret-key={}", "aws-secret-access-key")
    f.must_not("placeholder", "spring.datasource.username=billing")
    f.must_not("placeholder", "spring.rabbitmq.password=${RABBITMQ_PASSWORD}")
    f.must_not("password-policy", "security.password.min-length=12")
    f.must_not("placeholder", "app.api-key=changeme")


def xml():
    f = new("src/main/resources/applicationContext.xml")
    f.line('<?xml version="1.0" encoding="UTF-8"?>\n<beans>\n  <bean id="dataSource" class="com.zaxxer.hikari.HikariDataSource">')
    f.must("generic-password", '    <property name="password" value="{}"/>', value=password().replace('"', "x").replace("&", "x"))
    f.line("  </bean>\n  <smtp>")
    f.must("generic-password", "    <password>{}</password>", value=password().replace("<", "x").replace("&", "x"))
    f.must("generic-secret", "    <apiKey>{}</apiKey>", value=chars(40))
    f.line("  </smtp>")
    f.must_not("placeholder", '  <property name="password" value="${db.password}"/>')
    f.must_not("label", '  <input type="password" name="password" placeholder="Password"/>')
    f.must_not("hash", f'  <checksum algorithm="sha256">{sha256()}</checksum>')
    f.line("</beans>")


def csharp():
    f = new("dotnet/Billing/Program.cs")
    f.line("using Microsoft.Data.SqlClient;\n\nvar builder = WebApplication.CreateBuilder(args);")
    f.must("mssql-connection-string", 'var conn = new SqlConnection("Server=tcp:sql-prod.database.windows.net,1433;Database=billing;User ID=billing;Password={};Encrypt=True;");', value=password().replace(";", "x").replace('"', "x"))
    f.must("generic-password", 'var smtpPassword = "{}";', value=password().replace('"', "x"))
    f.must("azure-storage-key", 'var storage = "DefaultEndpointsProtocol=https;AccountName=acmebilling;AccountKey={};EndpointSuffix=core.windows.net";', "")
    f.must("azure-ad-client-secret", 'var credential = new ClientSecretCredential(tenantId, clientId, "{}");')
    f.must_not("azurite-key", f'var local = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";', AZURITE_KEY)
    f.must_not("placeholder", 'var password = Environment.GetEnvironmentVariable("DB_PASSWORD");')
    f.must_not("placeholder", 'var local = "Server=localhost;Database=dev;User Id=sa;Password=<YourStrong@Passw0rd>;";', "<YourStrong")
    f.must_not("uuid", f'var clientId = "{uuid()}";')
    f.must_not("password-policy", "options.Password.RequiredLength = 12;")


def appsettings():
    f = new("dotnet/Billing/appsettings.json")
    f.line('{\n  "Logging": { "LogLevel": { "Default": "Information" } },\n  "ConnectionStrings": {')
    f.must("mssql-connection-string", '    "Billing": "Server=sql.internal;Database=billing;User Id=billing;Password={};TrustServerCertificate=True"', value=password().replace(";", "x").replace('"', "x").replace("\\", "x"))
    f.line('  },\n  "Stripe": {')
    f.must("stripe-secret-key", '    "SecretKey": "{}",', "stripe-secret-key")
    f.must_not("public-by-design", f'    "PublishableKey": "pk_live_{chars(24)}"', "pk_live_")
    f.line('  },\n  "AzureAd": {')
    f.must_not("uuid", f'    "TenantId": "{uuid()}",')
    f.must_not("uuid", f'    "ClientId": "{uuid()}",')
    f.must("azure-ad-client-secret", '    "ClientSecret": "{}"')
    f.line("  },")
    f.must_not("placeholder", '  "SmtpPassword": "",')
    f.must_not("label", '  "PasswordResetUrl": "https://acme.example/reset-password"', "https://acme")
    f.line('  "AllowedHosts": "*"\n}')


def yaml_values():
    f = new("deploy/helm/values.yaml")
    f.line("replicaCount: 2\nimage:\n  repository: ghcr.io/acme/billing")
    f.must_not("git-sha", f"  tag: {git_sha()}")
    f.line("database:")
    f.must_not("placeholder", "  existingSecret: billing-db-credentials", "billing-db-credentials")
    f.must_not("placeholder", "  passwordKey: password", "password")
    f.must("generic-password", "  password: {}", value=password().replace(":", "x").replace("#", "x"))
    f.line("smtp:")
    f.must("generic-password", "  password: \"{}\"", value=human_password())
    f.line("monitoring:")
    f.must("newrelic-user-key", "  newrelicApiKey: {}")
    f.must("datadog-api-key", "  datadog:\n    apiKey: {}", value=chars(32, HEX))
    f.must_not("placeholder", "  grafanaPassword: \"{{ .Values.global.grafanaPassword }}\"", "{{")
    f.must_not("placeholder", "  sentryDsnSecretRef: sentry-dsn", "sentry-dsn")
    # A weak default in a values file is still a literal password (issue 4, point 7): reported
    # by the Kubernetes analyzer, as a warning.
    f.must("weak-default", "  password: {}", "k8s-literal-secret", value="changeme")
    f.must_not("label", "  passwordPolicy: strict", "strict")


def github_workflow():
    f = new(".github/workflows/release.yml")
    f.line("name: release\non: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    env:")
    f.must("npm-token", "      NPM_TOKEN: {}")
    f.must("pypi-token", "      TWINE_PASSWORD: {}")
    f.must("dockerhub-pat", "      DOCKERHUB_TOKEN: {}")
    f.must_not("placeholder", "      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}", "${{")
    f.must_not("placeholder", "      SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}", "${{")
    f.line("    steps:\n      - uses: actions/checkout@v4")
    f.must_not("git-sha", f"      - uses: actions/setup-node@{git_sha()}", "actions/setup-node")
    f.must("terraform-cloud-token", "      - run: terraform login -token {}")
    f.must("rubygems-key", "      - run: gem push *.gem --key {}")


def dotenv():
    f = new(".env")
    f.line("NODE_ENV=production\nPORT=3000")
    f.must("generic-password", "DB_PASSWORD={}", value=password().replace("#", "x"))
    f.must("postgres-uri", "DATABASE_URL=postgresql://app:{}@pg.internal:5432/app", value=chars(20))
    f.must("amqp-uri", "AMQP_URL=amqps://orders:{}@rabbit.internal:5671/orders", value=chars(20))
    f.must("github-pat", "GITHUB_TOKEN={}", "github-pat")
    f.must("slack-webhook", "SLACK_WEBHOOK_URL={}", "slack-webhook-url")
    f.must("twilio-auth-token", "TWILIO_AUTH_TOKEN={}", value=chars(32, HEX))
    f.must("mailchimp-api-key", "MAILCHIMP_API_KEY={}")
    f.must("databricks-token", "DATABRICKS_TOKEN={}")
    f.must("postman-api-key", "POSTMAN_API_KEY={}")
    f.must("doppler-token", "DOPPLER_TOKEN={}")
    f.must("pulumi-token", "PULUMI_ACCESS_TOKEN={}")
    f.must("planetscale-password", "PLANETSCALE_PASSWORD={}")
    f.must("generic-secret", "SESSION_SECRET={}", value=chars(64, ALNUM))
    f.must("anthropic-api-key", "ANTHROPIC_API_KEY={}")
    f.must_not("public-by-design", f"ALGOLIA_SEARCH_ONLY_KEY={chars(32, HEX)}", "ALGOLIA")
    f.must_not("public-by-design", f"NEXT_PUBLIC_MAPBOX_TOKEN={mapbox_public()}", "pk.")
    f.must_not("placeholder", "REDIS_PASSWORD=")
    f.must_not("uuid", f"SENTRY_RELEASE={uuid()}", "SENTRY_RELEASE")


def dotenv_example():
    f = new(".env.example")
    f.line("# Copy to .env and fill in")
    f.must_not("placeholder", "DB_PASSWORD=changeme")
    f.must_not("placeholder", "DATABASE_URL=postgresql://user:password@localhost/dbname", "postgresql")
    f.must_not("placeholder", "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_")
    f.must_not("placeholder", "STRIPE_SECRET_KEY=sk_live_...", "sk_live_")
    f.must_not("placeholder", "OPENAI_API_KEY=your-openai-api-key", "your-openai")
    f.must_not("placeholder", "AWS_ACCESS_KEY_ID=", "AWS_ACCESS_KEY_ID")
    f.must_not("placeholder", "SLACK_WEBHOOK_URL=" + SLACK_DOC, "https")
    f.must_not("placeholder", "JWT_SECRET=<generate with openssl rand -hex 32>", "<generate")
    f.must_not("placeholder", "SMTP_PASSWORD=REPLACE_ME", "REPLACE_ME")
    f.must_not("placeholder", "API_KEY=00000000000000000000000000000000", "0000")


def shell():
    f = new("scripts/deploy.sh")
    f.line("#!/usr/bin/env bash\nset -euo pipefail\n")
    f.must("curl-basic-auth", "curl -u deploy:{} https://artifacts.acme-internal.com/upload -T build.tgz", value=password().replace("'", "x").replace("!", "x").replace("$", "x").replace("&", "x").replace("*", "x").replace("?", "x").replace(";", "x").replace("#", "x").replace("~", "x"))
    f.must("aws-access-key-id", "export AWS_ACCESS_KEY_ID={}", "aws-access-key-id")
    f.must("aws-secret-access-key", "export AWS_SECRET_ACCESS_KEY={}", "aws-secret-access-key")
    f.must("generic-password", "export PGPASSWORD='{}'", value=password().replace("'", "x"))
    f.must("curl-bearer", 'curl -H "Authorization: Bearer {}" https://api.acme-internal.com/v1/deploy', value=chars(40))
    f.must("mysql-password-flag", "mysql -h db.internal -u root -p'{}' billing < dump.sql", value=chars(16))
    f.must("heroku-api-key", "export HEROKU_API_KEY={}", value=uuid())
    f.must("grafana-service-account-token", 'curl -H "Authorization: Bearer {}" https://grafana.acme-internal.com/api/dashboards')
    f.must_not("placeholder", 'curl -u "$DEPLOY_USER:$DEPLOY_PASSWORD" https://artifacts.acme-internal.com/upload', "$DEPLOY_USER")
    f.must_not("placeholder", 'export AWS_SECRET_ACCESS_KEY="$(vault kv get -field=secret aws/ci)"', "$(vault")
    f.must_not("placeholder", 'read -rsp "Password: " PASSWORD', "Password:")
    f.must_not("hash", f'echo "{sha256()}  release.tgz" | sha256sum -c -')
    f.must_not("placeholder", 'docker login -u ci --password-stdin <<< "$REGISTRY_TOKEN"', "$REGISTRY_TOKEN")


def dockerfile():
    f = new("Dockerfile")
    f.line("FROM python:3.12-slim@sha256:" + sha256())
    f.cases.append((f.path, 1, 30, "must-not", "hash", ""))
    f.line("WORKDIR /app")
    f.must("generic-password", "ENV POSTGRES_PASSWORD={}", value=password().replace("#", "x"))
    f.must("huggingface-token", "ENV HF_TOKEN={}")
    f.must("generic-secret", "ARG NPM_AUTH_TOKEN={}", value=chars(36, ALNUM))
    f.must_not("placeholder", "ARG GITHUB_TOKEN", "GITHUB_TOKEN")
    f.must_not("placeholder", "ENV API_KEY=${API_KEY}", "${API_KEY}")
    f.must_not("placeholder", "RUN --mount=type=secret,id=npmrc,target=/home/node/.npmrc npm ci", "npmrc")
    f.line('CMD ["gunicorn", "app:app"]')


def terraform():
    f = new("infra/main.tf")
    f.line('provider "aws" {\n  region = "eu-west-1"')
    f.must("aws-access-key-id", '  access_key = "{}"', "aws-access-key-id")
    f.must("aws-secret-access-key", '  secret_key = "{}"', "aws-secret-access-key")
    f.line('}\n\nresource "aws_db_instance" "main" {\n  engine   = "postgres"\n  username = "billing"')
    f.must("generic-password", '  password = "{}"', value=password().replace('"', "x"))
    f.line("}\n")
    f.line('provider "cloudflare" {')
    f.must("cloudflare-api-token", '  api_token = "{}"', value=chars(40, ALNUM + "_-"))
    f.line("}\n")
    f.line('provider "datadog" {')
    f.must("datadog-api-key", '  api_key = "{}"', value=chars(32, HEX))
    f.line("}\n")
    f.must_not("placeholder", 'variable "db_password" {\n  type      = string\n  sensitive = true\n}', 'variable "db_password"')
    f.must_not("placeholder", 'resource "random_password" "db" {\n  length = 32\n}', 'resource "random_password"')
    f.must_not("placeholder", '  master_password = var.db_password', "var.db_password")
    f.must_not("placeholder", '  password = data.aws_secretsmanager_secret_version.db.secret_string', "data.aws")


def markdown():
    f = new("docs/setup.md")
    f.line("# Setting up\n\nExport your credentials before running the tool:\n\n```sh")
    f.must_not("aws-doc-example", f"export AWS_ACCESS_KEY_ID={AWS_DOC_ID}", AWS_DOC_ID)
    f.must_not("aws-doc-example", f"export AWS_SECRET_ACCESS_KEY={AWS_DOC_SECRET}", AWS_DOC_SECRET)
    f.line("```\n\nPost alerts with an incoming webhook, e.g.\n")
    f.must_not("slack-doc-example", f"    curl -X POST {SLACK_DOC}", SLACK_DOC)
    f.line("\nA token looks like this (from jwt.io):\n")
    f.must_not("jwt-io-sample", f"    {JWT_IO}", JWT_IO)
    f.line("\n## Troubleshooting\n\nThe on-call engineer pasted this in an incident; it was rotated:\n")
    f.must("gitlab-pat", "    git clone https://oauth2:{}@gitlab.com/acme/billing.git")
    f.must("notion-token", "    NOTION_TOKEN={}")
    f.must("discord-bot-token", "    client.login('{}')")
    f.must("mapbox-secret-token", "    MAPBOX_SECRET_TOKEN={}")
    f.must_not("placeholder", "Set `password: <your password>` in `config.yml`.", "<your password>")
    f.must_not("password-policy", "Passwords must be at least 12 characters and contain a digit.", "Passwords")
    f.must_not("placeholder", "| `api_key` | string | Your API key, e.g. `sk_live_xxxxxxxxxxxxxxxxxxxxxxxx` |", "sk_live_")


def package_lock():
    f = new("web/package-lock.json")
    f.line('{\n  "name": "web",\n  "lockfileVersion": 3,\n  "packages": {')
    for name in ["axios", "lodash", "react", "react-dom", "zod", "jsonwebtoken", "bcryptjs", "uuid"]:
        f.line(f'    "node_modules/{name}": {{\n      "version": "{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",')
        f.line(f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",')
        f.must_not("lockfile-integrity", f'      "integrity": "{integrity()}"', "sha512-")
        f.line("    },")
    f.line('    "node_modules/private-lib": {')
    f.must_not("git-sha", f'      "resolved": "git+ssh://git@github.com/acme/private-lib.git#{git_sha()}"', "git+ssh")
    f.line("    }\n  }\n}")


def yarn_lock():
    f = new("web/yarn.lock")
    f.line("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n")
    for name in ["chalk", "commander", "debug", "ms"]:
        f.line(f'{name}@^2.0.0:\n  version "2.{rng.randint(0, 9)}.0"')
        f.must_not("lockfile-integrity", f'  resolved "https://registry.yarnpkg.com/{name}/-/{name}-2.0.0.tgz#{chars(40, HEX)}"', "resolved")
        f.must_not("lockfile-integrity", f"  integrity {integrity()}", "sha512-")
        f.line()


def go_sum():
    f = new("services/ingest/go.sum")
    for mod in ["github.com/lib/pq v1.10.9", "golang.org/x/crypto v0.21.0", "google.golang.org/grpc v1.62.1"]:
        f.must_not("lockfile-integrity", f"{mod} h1:{base64.b64encode(rng.randbytes(32)).decode()}", "h1:")
        f.must_not("lockfile-integrity", f"{mod}/go.mod h1:{base64.b64encode(rng.randbytes(32)).decode()}", "h1:")


def cargo_lock():
    f = new("tools/Cargo.lock")
    f.line("version = 3\n")
    for name in ["serde", "regex", "tokio"]:
        f.line(f'[[package]]\nname = "{name}"\nversion = "1.0.{rng.randint(1, 200)}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"')
        f.must_not("lockfile-integrity", f'checksum = "{sha256()}"')
        f.line()


def docker_config():
    f = new(".docker/config.json")
    f.line('{\n  "auths": {\n    "registry.acme-internal.com": {')
    auth = base64.b64encode(f"ci-bot:{password()}".encode()).decode()
    f.must("docker-config-auth", '      "auth": "{}"', value=auth)
    f.line("    },\n    \"ghcr.io\": {")
    auth = base64.b64encode(f"acme-ci:{SECRETS['github-pat']()}".encode()).decode()
    f.must("docker-config-auth", '      "auth": "{}"', value=auth)
    f.line('    }\n  },\n  "credsStore": "desktop"\n}')


def npmrc():
    f = new(".npmrc")
    f.line("registry=https://registry.npmjs.org/")
    f.must("npm-token", "//registry.npmjs.org/:_authToken={}")
    f.must_not("placeholder", "//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}", "${GITHUB_TOKEN}")


def keys():
    f = new("deploy/keys/id_rsa")
    f.must("private-key-rsa", armor("RSA " + "PRIVATE KEY", "{}"), "private-key", value=pem_body())
    f.cases[-1] = (f.path, 1, 1, "must", "private-key-rsa", "private-key")
    f = new("deploy/keys/id_ed25519")
    f.line(armor("OPENSSH " + "PRIVATE KEY", pem_body(5)))
    f.cases.append((f.path, 1, 1, "must", "private-key-openssh", "private-key"))
    f = new("deploy/keys/id_ed25519.pub")
    f.must_not("public-key", ssh_public_key())
    f = new("deploy/tls/server.crt")
    f.line(certificate_pem())
    f.cases.append((f.path, 1, 1, "must-not", "certificate", ""))
    f = new("deploy/tls/jwt-public.pem")
    f.line(public_key_pem())
    f.cases.append((f.path, 1, 1, "must-not", "public-key", ""))
    f = new("deploy/tls/ec.key")
    f.line(armor("EC " + "PRIVATE KEY", pem_body(3)))
    f.cases.append((f.path, 1, 1, "must", "private-key-ec", "private-key"))
    f = new("deploy/keys/release.asc")
    f.line(armor("PGP " + "PRIVATE KEY BLOCK", "\n" + pem_body(12) + "\n=" + chars(4, B64)))
    f.cases.append((f.path, 1, 1, "must", "private-key-pgp", "private-key"))
    f = new("deploy/keys/placeholder.pem")
    f.line(armor("RSA " + "PRIVATE KEY", "..."))
    f.cases.append((f.path, 1, 1, "must-not", "placeholder", ""))


def gcp_service_account():
    f = new("deploy/gcp/service-account.json")
    f.line('{\n  "type": "service_account",\n  "project_id": "acme-prod",')
    f.must_not("hash", f'  "private_key_id": "{chars(40, HEX)}",', "private_key_id")
    body = "\\n".join(chars(64, B64) for _ in range(8))
    f.must("gcp-service-account", '  "private_key": "' + armor("PRIVATE " + "KEY", "{}", "\\n") + '\\n",', value=body)
    f.cases[-1] = (f.path, f.cases[-1][1], 19, "must", "gcp-service-account", "")
    f.line('  "client_email": "billing@acme-prod.iam.gserviceaccount.com",')
    f.must_not("public-by-design", f'  "client_id": "{rng.randint(10**20, 10**21)}",', "client_id")
    f.line('  "token_uri": "https://oauth2.googleapis.com/token"\n}')


def k8s_encoded():
    f = new("deploy/k8s/app-config.yaml")
    f.line("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\nbinaryData:")
    env = f"LOG_LEVEL=info\nGITHUB_TOKEN={SECRETS['github-pat']()}\n"
    f.must("base64-encoded-secret", "  app.env: {}", "github-pat", value=base64.b64encode(env.encode()).decode())
    env = f"[default]\naws_access_key_id = {SECRETS['aws-access-key-id']()}\n"
    f.must("base64-encoded-secret", "  credentials: {}", "aws-access-key-id", value=base64.b64encode(env.encode()).decode())
    f.must_not("base64-image", f"  logo.png: {png_b64()}", "iVBOR")
    f.must_not("base64-text", "  motd: " + base64.b64encode(b"Welcome to the billing service. Have a nice day!\n").decode(), "V2Vs")


def encoded_misc():
    f = new("config/bootstrap.json")
    f.line("{")
    token = SECRETS["stripe-secret-key"]()
    f.must("base64-encoded-secret", '  "payload": "{}",', "stripe-secret-key", value=base64.b64encode(json.dumps({"stripe": token}).encode()).decode())
    url = f"postgres://svc:{chars(20)}@pg.internal:5432/svc"
    f.must("percent-encoded-secret", '  "redirect": "https://auth.acme-internal.com/cb?next=' + "{}" + '",', value=url.replace(":", "%3A").replace("/", "%2F").replace("@", "%40"))
    f.must("hex-encoded-secret", '  "blob": "{}",', value=(f"token={SECRETS['slack-bot-token']()}").encode().hex())
    f.must_not("hash", f'  "etag": "{sha256()}",', "etag")
    f.must_not("uuid", f'  "id": "{uuid()}",', "id")
    f.must_not("base64-font", f'  "font": "data:font/woff2;base64,{base64.b64encode(b"wOF2" + rng.randbytes(120)).decode()}",', "data:font")
    f.line('  "version": 1\n}')


def css():
    f = new("web/src/styles/app.css")
    f.line("@font-face {\n  font-family: 'Inter';")
    f.must_not("base64-font", f"  src: url(data:font/woff2;base64,{base64.b64encode(b'wOF2' + rng.randbytes(300)).decode()}) format('woff2');", "url(data")
    f.line("}\n.logo {")
    f.must_not("base64-image", f"  background-image: url(data:image/png;base64,{png_b64()});", "url(data")
    f.must_not("base64-image", "  mask: url(data:image/svg+xml;base64," + base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z"/></svg>').decode() + ");", "url(data")
    f.line("}")


def locales():
    f = new("web/src/locales/fr.json")
    f.line("{")
    f.must_not("i18n", '  "password": "Mot de passe",')
    f.must_not("i18n", '  "password_confirm": "Confirmez le mot de passe",')
    f.must_not("i18n", '  "forgot_password": "Mot de passe oublié ?",')
    f.must_not("i18n", '  "token_expired": "Votre jeton a expiré, reconnectez-vous.",')
    f.must_not("i18n", '  "api_key_help": "Collez votre clé API ici",')
    f.must_not("i18n", '  "secret_question": "Question secrète",')
    f.line('  "ok": "OK"\n}')
    f = new("config/locales/de.yml")
    f.line("de:\n  auth:")
    f.must_not("i18n", "    password: Passwort")
    f.must_not("i18n", "    password_too_short: Das Passwort ist zu kurz (mindestens 12 Zeichen)")
    f.must_not("i18n", "    new_token: Neues Zugriffstoken erstellen")
    f.must_not("i18n", '    secret_key_label: "Geheimer Schlüssel"')


def placeholders_json():
    f = new("config/settings.json")
    f.line("{")
    f.must_not("label", '  "password": "Password",')
    f.must_not("placeholder", '  "apiKey": "YOUR_API_KEY",')
    f.must_not("placeholder", '  "token": "TODO",')
    f.must_not("placeholder", '  "secret": "<secret>",')
    f.must_not("placeholder", '  "client_secret": "{{CLIENT_SECRET}}",')
    f.must_not("placeholder", '  "db_password": "example-password",')
    f.must_not("placeholder", '  "access_token": "dummy-token-for-tests",')
    f.must_not("placeholder", '  "auth_token": "abcdefghijklmnopqrstuvwxyz",')
    f.must_not("placeholder", '  "private_key": "/etc/keys/private.pem",')
    f.must_not("placeholder", '  "secret_name": "prod/billing/db",')
    f.must_not("uuid", f'  "api_key_id": "{uuid()}",')
    f.must("generic-secret", '  "webhook_signing_secret": "{}",', value=chars(32))
    f.must("generic-password", '  "smtp_password": "{}",', value=human_password())
    f.must("azure-sas-token", '  "blob_sas_url": "https://acmebilling.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig={}",', value=chars(43, B64).replace("+", "%2B").replace("/", "%2F") + "%3D")
    f.must("teams-webhook", '  "teams_webhook": "{}",')
    f.must("grafana-service-account-token", '  "grafana": "{}",')
    f.must("age-secret-key", '  "sops_age_key": "{}",')
    f.must("atlassian-api-token", '  "jira": "{}",')
    f.must("flyio-token", '  "fly": "{}",')
    f.must("shopify-shared-secret", '  "shopify_webhook": "{}",')
    f.line('  "debug": false\n}')


def ruby_php():
    f = new("config/database.yml")
    f.line("production:\n  adapter: postgresql\n  database: billing\n  username: billing")
    f.must("generic-password", "  password: {}", value=password().replace(":", "x").replace("#", "x").replace("%", "x"))
    f.must_not("placeholder", "development:\n  password: <%= ENV['DB_PASSWORD'] %>", "<%=")
    f = new("app/config.php")
    f.line("<?php\nreturn [")
    f.must("generic-password", "    'password' => '{}',", value=password().replace("'", "x"))
    f.must("mailgun-api-key", "    'mailgun_secret' => '{}',")
    f.must_not("placeholder", "    'key' => env('APP_KEY'),", "env(")
    f.line("];")
    f = new("lib/payments.rb")
    f.must("stripe-secret-key", "Stripe.api_key = '{}'", "stripe-secret-key")
    f.must("generic-password", "  config.password = '{}'", value=password().replace("'", "x"))
    f.must("twilio-auth-token", "  config.auth_token = '{}'", value=chars(32, HEX))
    f.must_not("placeholder", "  config.password = ENV.fetch('SMTP_PASSWORD')", "ENV")


def aws_composite():
    f = new("ops/aws/credentials.csv")
    f.line("User name,Access key ID,Secret access key")
    key_id, secret = SECRETS["aws-access-key-id"](), SECRETS["aws-secret-access-key"]()
    f.case("must", "aws-access-key-id", f"deploy-bot,{key_id},{secret}", key_id, "aws-access-key-id")
    f.cases.append((f.path, 2, 11 + len(key_id) + 1, "must", "aws-secret-near-key-id", ""))
    f = new("ops/aws/boto_setup.py")
    key_id, secret = SECRETS["aws-access-key-id"](), SECRETS["aws-secret-access-key"]()
    f.line("import boto3\n")
    f.case("must", "aws-access-key-id", f'session = boto3.Session("{key_id}",', key_id, "aws-access-key-id")
    f.case("must", "aws-secret-near-key-id", f'                        "{secret}")', secret)
    f.must_not("git-sha", f'BUILD = "{git_sha()}"')


def more_tokens():
    f = new("ops/tokens.yaml")
    f.line("# service credentials, rotated quarterly")
    for kind in ["github-app-token", "gitlab-runner-token", "slack-user-token", "google-api-key",
                 "sendgrid-api-key", "npm-token", "digitalocean-token", "vault-token",
                 "openai-api-key", "telegram-bot-token", "newrelic-user-key", "sentry-user-token",
                 "discord-webhook", "jwt", "databricks-token", "huggingface-token",
                 "github-fine-grained-pat", "linear-api-key", "square-access-token",
                 "mapbox-secret-token", "shopify-access-token", "alibaba-access-key-id",
                 "terraform-cloud-token", "dockerhub-pat", "pypi-token", "rubygems-key",
                 "stripe-restricted-key", "postman-api-key", "doppler-token", "pulumi-token",
                 "planetscale-password", "flyio-token", "age-secret-key", "notion-token",
                 "discord-bot-token", "gitlab-pat", "github-oauth", "mailchimp-api-key",
                 "twilio-api-key", "azure-ad-client-secret", "anthropic-api-key",
                 "atlassian-api-token", "teams-webhook", "grafana-service-account-token",
                 "mailgun-api-key", "shopify-shared-secret"]:
        f.must(kind, kind.replace("-", "_") + ": {}")
    f.must_not("checksum-invalid", "github_token_fixture: ghp_" + chars(36), "ghp_")
    f.must_not("checksum-invalid", "npm_token_fixture: npm_" + chars(36), "npm_")
    f.must_not("git-sha", f"deployed_revision: {git_sha()}", "deployed_revision")
    f.must_not("hash", f"artifact_sha256: {sha256()}", "artifact_sha256")
    f.must_not("uuid", f"installation_id: {uuid()}", "installation_id")
    f.must_not("public-by-design", f"stripe_publishable_key: pk_live_{chars(24)}", "pk_live_")


def password_code():
    f = new("app/auth/validators.py")
    f.line('"""Password policy checks."""\n')
    f.must_not("password-policy", "MIN_PASSWORD_LENGTH = 12")
    f.must_not("password-policy", "PASSWORD_PATTERN = r'^(?=.*[A-Z])(?=.*[a-z])(?=.*\\d)(?=.*[^\\w]).{12,}$'")
    f.must_not("password-policy", "def validate_password(password, user=None):")
    f.must_not("password-policy", "    if password == user.username:")
    f.must_not("password-policy", "    if password.lower() in COMMON_PASSWORDS:")
    f.must_not("password-policy", '        raise ValidationError(_("This password is too common."))')
    f.must_not("password-policy", "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())")
    f.must_not("label", "PASSWORD_RESET_TOKEN_TTL = 3600")
    f.must_not("label", "TOKEN_TYPE = 'Bearer'")
    f.must_not("label", "SECRET_KEY_SETTING = 'DJANGO_SECRET_KEY'")
    f.must_not("label", "TEST_PASSWORD_FIELD = 'Password'")
    f.must_not("placeholder", "self.password = password")
    f.must_not("placeholder", "password=self.password,")
    f.must_not("placeholder", "user.set_password(form.cleaned_data['password'])")


BUILDERS = [
    python_settings, python_client, notebook, javascript, typescript, minified, go_file, java,
    properties, xml, csharp, appsettings, yaml_values, github_workflow, dotenv, dotenv_example,
    shell, dockerfile, terraform, markdown, package_lock, yarn_lock, go_sum, cargo_lock,
    docker_config, npmrc, keys, gcp_service_account, k8s_encoded, encoded_misc, css, locales,
    placeholders_json, ruby_php, aws_composite, more_tokens, password_code,
]


def write():
    if ROOT.exists():
        shutil.rmtree(ROOT)
    for builder in BUILDERS:
        builder()
    rows = ["file\tline\tcolumn\texpect\ttype\trule"]
    for f in FILES:
        target = ROOT / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.render())
        rows.extend("\t".join(str(x) for x in c) for c in f.cases)
    (ROOT / "manifest.tsv").write_text("\n".join(rows) + "\n")
    must = sum(1 for r in rows[1:] if "\tmust\t" in r)
    kinds = {r.split("\t")[4] for r in rows[1:] if "\tmust\t" in r}
    print(f"{len(FILES)} files, {must} secrets of {len(kinds)} types, {len(rows) - 1 - must} look-alikes")


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent)
    write()
