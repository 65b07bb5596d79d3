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
import sys
import zlib
from pathlib import Path

# age keys (bech32, BIP-173) come from the rule examples' generator: one implementation.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rules"))
from synth import BECH32, age as synth_age  # noqa: E402

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



# ---------------------------------------------------------------------------------------
# One case per provider rule: the secret is drawn at random from the shape of the rule's
# capture group (the documented shape of the token: prefix, alphabet, length), and placed the
# way people write it, rotating through .env files, YAML, JSON, code constants, CI files and
# compose files. Checksummed formats get a valid checksum.

from re import _constants as SRE, _parser as sre_parse  # noqa: E402

SAFE = ALNUM + "-_.~!*"


def _class(items):
    out, negate = [], False
    for op, av in items:
        if op is SRE.NEGATE:
            negate = True
        elif op is SRE.LITERAL:
            out.append(chr(av))
        elif op is SRE.RANGE:
            out.extend(chr(c) for c in range(av[0], av[1] + 1))
        elif op is SRE.CATEGORY:
            out.extend({SRE.CATEGORY_DIGIT: DIGITS, SRE.CATEGORY_WORD: ALNUM + "_", SRE.CATEGORY_SPACE: " "}.get(av, ""))
    if negate:
        return [c for c in SAFE if c not in out]
    return sorted(set(out))


def _emit(items):
    out = []
    for op, av in items:
        if op is SRE.LITERAL:
            out.append(chr(av))
        elif op is SRE.NOT_LITERAL:
            out.append(rng.choice([c for c in ALNUM if ord(c) != av]))
        elif op is SRE.ANY:
            out.append(rng.choice(ALNUM))
        elif op is SRE.IN:
            cls = _class(av)
            out.append(rng.choice([c for c in cls if c != "%"] or cls))
        elif op is SRE.CATEGORY:
            out.append(rng.choice(_class([(op, av)])))
        elif op in (SRE.MAX_REPEAT, SRE.MIN_REPEAT):
            lo, hi, sub = av
            hi = lo + 12 if hi == SRE.MAXREPEAT else min(hi, lo + 20)
            for _ in range(rng.randint(lo, hi)):
                out.extend(_emit(sub))
        elif op is SRE.SUBPATTERN:
            out.extend(_emit(av[-1]))
        elif op is SRE.BRANCH:
            out.extend(_emit(rng.choice(av[1])))
    return out


def entropy(s):
    from math import log2
    return -sum(s.count(c) / len(s) * log2(s.count(c) / len(s)) for c in set(s))


def b64json_token(prefix):
    claims = {"u": chars(12, LOWER), "k": chars(16), "a": rng.randint(10**5, 10**6)}
    if prefix == "ops_":
        claims.update({"signInAddress": "acme.1password.com", "email": chars(10, LOWER) + "@1passwordserviceaccounts.com", "srpX": chars(64, HEX), "muk": {"k": chars(43, B64URL), "kid": "mp"}})
        return prefix + base64.b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    if prefix == "sntrys_":
        claims = {"iat": rng.randint(1700000000, 1760000000), "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "acme"}
        return prefix + base64.b64encode(json.dumps(claims).encode()).decode() + "_" + chars(43, B64)
    return SECRETS["mapbox-secret-token"]()


def from_shape(shape, floor=0.0):
    if shape.startswith("@crc:"):
        return crc_token(shape[5:])
    if shape == "@jwt":
        return jwt()
    if shape == "@age":
        return age_key()
    if shape.startswith("@b64json:"):
        return b64json_token(shape[9:].replace("\\", ""))
    tree = sre_parse.parse(shape)
    for _ in range(200):
        s = "".join(_emit(tree))
        if entropy(s) >= floor + 0.2:
            return s
    return s


def age_key():
    """An age X25519 identity with a valid bech32 checksum (BIP-173), from the seeded RNG."""
    return synth_age(key=rng.randbytes(32))


def provider_name(rule_id):
    return rule_id.split("-")[0]


def kv_formats():
    """(file, header, line template with KEY and VALUE, footer, key transform)."""
    return [
        new(".env.production").line("# production environment, loaded by systemd EnvironmentFile=\nNODE_ENV=production"),
        new("deploy/k8s/vendor-credentials.yaml").line("apiVersion: v1\nkind: Secret\nmetadata:\n  name: vendor-credentials\n  namespace: billing\ntype: Opaque\nstringData:"),
        new("config/vendors.json").line("{"),
        new("app/integrations/credentials.py").line('"""Vendor credentials (TODO: move to the secret manager)."""\n'),
        new("web/src/vendors.ts").line("// Vendor keys used by the server-side handlers.\n"),
        new(".github/workflows/nightly.yml").line("name: nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./scripts/sync.sh\n        env:"),
        new("docker-compose.prod.yml").line("services:\n  worker:\n    image: ghcr.io/acme/worker:2.4.1\n    environment:"),
        new("scripts/ci-env.sh").line("#!/usr/bin/env bash\n# CI bootstrap: credentials for the integration jobs\nset -euo pipefail\n"),
        new("config/integrations.toml").line("# integrations.toml: read by acme-sync at start\n[vendors]"),
        new("config/application-prod.properties").line("# Spring profile: prod\nserver.port=8443\nazure.cosmos.endpoint=https://acme-orders.documents.azure.com:443/"),
    ]


KV_LINES = [
    lambda k, v: f"{k}={v}",
    lambda k, v: f'  {k}: "{v}"',
    lambda k, v: f'  "{k.lower()}": "{v}",',
    lambda k, v: f'{k} = "{v}"',
    lambda k, v: f"export const {k} = '{v}';",
    lambda k, v: f"          {k}: {v}",
    lambda k, v: f"      - {k}={v}",
    lambda k, v: f'export {k}="{v}"',
    lambda k, v: f'{k.lower()} = "{v}"',
    lambda k, v: f"{k.lower().replace('_', '.')}={v}",
]

# What the same files hold where the value is not there: references, placeholders, redactions.
LOOKALIKE_LINES = [
    lambda k, v: f"{k}=${{{k}}}",
    lambda k, v: f"{k}=<your-{k.lower().replace('_', '-')}>",
    lambda k, v: f'{k}="{v[:6]}************************"',
    lambda k, v: f'{k} = os.environ["{k}"]',
    lambda k, v: f"  {k}: {{{{ .Values.{k.lower()} | quote }}}}",
    lambda k, v: f"{k}=",
    lambda k, v: f'{k.lower()} = "REPLACE_ME"',
    lambda k, v: f"      {k}: ${{{{ secrets.{k} }}}}",
    lambda k, v: f"{k}=op://Engineering/{k.lower()}/credential",
    lambda k, v: f"const {k.lower()} = process.env.{k};",
    lambda k, v: f"{k}={v[:8]}...",
    lambda k, v: f"# {k}=your-{k.lower().replace('_', '-')}-here",
]


def providers():
    files = kv_formats()
    sample = new(".env.sample").line("# Copy to .env and fill in the values from the vault.")
    docs = new("docs/configuration.md").line("# Configuration\n\nEvery integration reads its credentials from the environment:\n\n```sh")
    # Where each kind of look-alike line (LOOKALIKE_LINES, same order) is written.
    examples = [
        sample, sample, docs,
        new("app/integrations/settings.py").line("import os\n"),
        new("charts/vendors/templates/secret.yaml").line("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-vendors\nstringData:"),
        sample,
        new("config/vendors.example.toml").line("# copy to vendors.toml"),
        new(".github/workflows/deploy.yml").line("name: deploy\non: workflow_dispatch\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./scripts/deploy.sh\n        env:"),
        new(".env.tpl").line("# 1Password template: op inject -i .env.tpl -o .env"),
        new("web/src/env.ts").line("// server-side environment"),
        docs, sample,
    ]
    templated = {
        "shell": new("scripts/ops/vendor-calls.sh").line("#!/usr/bin/env bash\n# one-off calls made during the migration (kept for reference)\nset -e\n"),
        "config": new("config/connections.conf").line("# connection settings, one per line"),
        "code": new("app/integrations/clients.py").line("import os\n"),
        "http": new("docs/requests.http").line("### calls recorded while debugging the integrations\nGET https://api.acme-internal.com/v1/status"),
        "json": new("config/clients.jsonc").line("// client settings exported from the old admin console"),
    }
    for i, (rule, key, shape, pre, post, floor) in enumerate(PROVIDERS):
        value = from_shape(shape, floor)
        kind = rule
        if key:
            f = files[i % len(files)]
            f.case("must", kind, KV_LINES[i % len(files)](key, value), value, rule)
            ex = examples[i % len(LOOKALIKE_LINES)]
            line = LOOKALIKE_LINES[i % len(LOOKALIKE_LINES)](key, value)
            ex.case("must-not", "placeholder", line, line.strip())
        else:
            text = pre + value + post
            first = text.lstrip()[:1]
            where = "http" if text.startswith("Authorization:") else "json" if first in "{\"" else "shell" if text.lstrip().startswith(("curl", "docker", "git ", "dotnet", "kubeadm", "RUN", "echo", "pip", "source", "PASS")) else (
                "code" if ("(" in pre or "const " in pre) else "config")
            templated[where].case("must", kind, text, value, rule)
    files[2].line('  "version": 2\n}')
    docs.line("```")



PROVIDERS = [
    # (rule id, key name or None, shape of the secret (the rule's capture group), text before, text after, entropy floor)
    ('onepassword-service-account-token', 'OP_SERVICE_ACCOUNT_TOKEN', '@b64json:ops_', None, None, 0),
    ('onepassword-secret-key', 'secret_key', 'A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}', None, None, 3.5),
    ('adyen-api-key', 'ADYEN_API_KEY', 'AQE[A-Za-z0-9+/=._-]{80,}', None, None, 4.0),
    ('age-secret-key', None, '@age', '', '', 0),
    ('airtable-pat', 'AIRTABLE_TOKEN', 'pat[A-Za-z0-9]{14}\\.[a-f0-9]{64}', None, None, 0),
    ('aiven-service-password', None, 'AVNS_[A-Za-z0-9_-]{19}', 'DATABASE_URL=postgres://avnadmin:', '@pg-acme-prod.a.aivencloud.com:21314/defaultdb?sslmode=require', 3.5),
    ('aiven-personal-token', 'AIVEN_TOKEN', 'AVNU_[A-Za-z0-9+/]{300,420}={0,2}', None, None, 4.5),
    ('algolia-admin-key', 'ALGOLIA_ADMIN_KEY', '[a-f0-9]{32}', None, None, 0),
    ('alibaba-access-key-id', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'LTAI[A-Za-z0-9]{12,20}', None, None, 3.5),
    ('alibaba-access-key-secret', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', '[A-Za-z0-9]{30}', None, None, 4.0),
    ('anthropic-api-key', 'ANTHROPIC_API_KEY', 'sk-ant-api03-[A-Za-z0-9_-]{93}AA', None, None, 0),
    ('anthropic-admin-key', 'ANTHROPIC_ADMIN_KEY', 'sk-ant-admin01-[A-Za-z0-9_-]{93}AA', None, None, 0),
    ('asana-pat', 'ASANA_TOKEN', '[012]/\\d{12,20}(?:/\\d{12,20})?:[a-f0-9]{32}', None, None, 0),
    ('assemblyai-api-key', 'ASSEMBLYAI_API_KEY', '[a-f0-9]{32}', None, None, 3.3),
    ('atlassian-api-token', 'JIRA_API_TOKEN', 'ATATT3[A-Za-z0-9_=-]{150,}', None, None, 4.0),
    ('atlassian-api-token-legacy', 'JIRA_API_TOKEN', '[A-Za-z0-9]{24}', None, None, 3.8),
    ('auth0-client-secret', 'AUTH0_CLIENT_SECRET', '[A-Za-z0-9_-]{64}', None, None, 4.0),
    ('aws-access-key-id', 'aws_access_key_id', '(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}', None, None, 0),
    ('aws-secret-access-key', 'aws_secret_access_key', '[A-Za-z0-9/+]{40}', None, None, 4.0),
    ('aws-session-token', 'aws_session_token', '[A-Za-z0-9/+=]{100,}', None, None, 4.5),
    ('amazon-mws-auth-token', 'MWS_AUTH_TOKEN', 'amzn\\.mws\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('aws-bedrock-api-key', 'AWS_BEARER_TOKEN_BEDROCK', 'ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{40,300}={0,2}', None, None, 4.0),
    ('azure-storage-account-key', None, '[A-Za-z0-9+/]{86}==', 'DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=', ';EndpointSuffix=core.windows.net', 4.5),
    ('azure-sas-token', None, '[A-Za-z0-9%+/]{40,100}(?:=|%3D){0,2}', 'https://acme.blob.core.windows.net/backups?sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2031-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig=', '', 4.0),
    ('azure-service-bus-key', None, '[A-Za-z0-9+/]{43}=', 'Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=', '', 4.0),
    ('azure-ad-client-secret', 'AZURE_CLIENT_SECRET', '[A-Za-z0-9_~.]{3}\\dQ~[A-Za-z0-9_~.-]{31,34}', None, None, 3.5),
    ('azure-devops-pat', 'AZURE_DEVOPS_PAT', '[a-z2-7]{52}|[A-Za-z0-9]{52}JQQJ9\\d[A-Za-z0-9]AZDO[A-Za-z0-9]{4}', None, None, 3.5),
    ('azure-storage-identifiable-key', 'blob_credential', '[A-Za-z0-9+/]{76}\\+ASt[A-Za-z0-9+/]{5}[AQgw]==', None, None, 4.0),
    ('azure-cosmosdb-identifiable-key', None, '[A-Za-z0-9+/]{76}ACDb[A-Za-z0-9+/]{5}[AQgw]==', 'const cosmosAuth = "', '";', 4.0),
    ('azure-cosmosdb-key', 'masterKey', '[A-Za-z0-9+/]{86}==', None, None, 4.5),
    ('azure-service-bus-identifiable-key', 'bus_key', '[A-Za-z0-9+/]{33}\\+ASb[A-P][A-Za-z0-9+/]{5}=', None, None, 4.0),
    ('azure-event-hubs-identifiable-key', 'hub_key', '[A-Za-z0-9+/]{33}\\+AEh[A-P][A-Za-z0-9+/]{5}=', None, None, 4.0),
    ('azure-relay-identifiable-key', 'relay_key', '[A-Za-z0-9+/]{33}\\+ARm[A-P][A-Za-z0-9+/]{5}=', None, None, 4.0),
    ('azure-iot-identifiable-key', None, '[A-Za-z0-9+/]{33}AIoT[A-P][A-Za-z0-9+/]{5}=', '"primaryKey": "', '"', 4.0),
    ('azure-event-grid-identifiable-key', 'aeg-sas-key', '[A-Za-z0-9+/]{33}AZEG[A-P][A-Za-z0-9+/]{5}=', None, None, 4.0),
    ('azure-batch-identifiable-key', 'batch_shared_key', '[A-Za-z0-9+/]{76}\\+ABa[A-Za-z0-9+/]{5}[AQgw]==', None, None, 4.0),
    ('azure-ml-classic-identifiable-key', 'ml_api_key', '[A-Za-z0-9+/]{76}\\+AMC[A-Za-z0-9+/]{5}[AQgw]==', None, None, 4.0),
    ('azure-apim-identifiable-key', 'Ocp-Apim-Key', '[A-Za-z0-9+/]{76}APIM[A-Za-z0-9+/]{5}[AQgw]==', None, None, 4.0),
    ('azure-cache-redis-identifiable-key', 'redis_password', '[A-Za-z0-9+/]{33}AzCa[A-P][A-Za-z0-9+/]{5}=', None, None, 4.0),
    ('azure-container-registry-identifiable-key', None, '[A-Za-z0-9+/]{42}\\+ACR[A-D][A-Za-z0-9+/]{5}', 'docker login acme.azurecr.io -u acme -p ', '', 4.0),
    ('azure-function-identifiable-key', 'x-functions-key', '[A-Za-z0-9_-]{44}AzFu[A-Za-z0-9_-]{5}[AQgw]==', None, None, 4.0),
    ('azure-search-identifiable-key', None, '[A-Za-z0-9]{42}AzSe[A-D][A-Za-z0-9]{5}', '"api-key": "', '"', 4.0),
    ('azure-annotated-security-key', 'AZURE_OPENAI_API_KEY', '[A-Za-z0-9]{52}JQQJ9[9DH][A-Za-z0-9][A-L][A-Za-z0-9]{16}[A-Za-z][A-Za-z0-9]{7}(?:[A-Za-z0-9]{2}==)?', None, None, 4.0),
    ('azure-iot-device-connection-string', None, '[A-Za-z0-9+/]{43}=', 'DEVICE_CONNECTION_STRING="HostName=acme-hub.azure-devices.net;DeviceId=sensor-042;SharedAccessKey=', '"', 4.0),
    ('azure-messaging-sas-token', None, '[A-Za-z0-9%+/]{40,100}(?:=|%3[Dd]){0,2}', 'Authorization: SharedAccessSignature sr=https%3A%2F%2Facme.servicebus.windows.net%2Forders&sig=', '&se=1893456000&skn=RootManageSharedAccessKey', 4.0),
    ('azure-function-key-url', None, '[A-Za-z0-9_%/+=-]{40,120}', 'ALERT_HOOK=https://acme-jobs.azurewebsites.net/api/KemuBcrdlsb8?code=', '', 4.0),
    ('azure-function-key-header', None, '[A-Za-z0-9_/+=-]{40,100}', 'curl -H "x-functions-key: ', '" https://acme-jobs.azurewebsites.net/api/sync', 4.0),
    ('azure-app-configuration-connection-string', None, '[A-Za-z0-9+/]{40,90}={0,2}', 'APPCONFIG_CONNECTION_STRING="Endpoint=https://acme-config.azconfig.io;Id=rRQL-l0-s0:GB1NNcHCrn0sDHU9BssM;Secret=', '"', 4.0),
    ('azure-signalr-connection-string', None, '[A-Za-z0-9+/]{43}=', '"Azure:SignalR:ConnectionString": "Endpoint=https://acme-chat.service.signalr.net;AccessKey=', ';Version=1.0;"', 4.0),
    ('azure-communication-services-key', None, '[A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{43}=', 'ACS_CONNECTION_STRING=endpoint=https://acme-notify.europe.communication.azure.com/;accesskey=', '', 4.0),
    ('azure-cache-redis-connection-string', None, '[A-Za-z0-9+/]{43}=', '"Redis": "acme-cache.redis.cache.windows.net:6380,password=', ',ssl=True,abortConnect=False"', 4.0),
    ('azure-container-registry-password', None, '[A-Za-z0-9+/=]{32,60}', 'docker login acmeimages.azurecr.io -u acmeimages -p ', '', 4.0),
    ('azure-search-admin-key', 'admin_key', '[0-9A-F]{32}', None, None, 3.0),
    ('azure-openai-api-key', 'AZURE_OPENAI_API_KEY', '[a-f0-9]{32}', None, None, 3.3),
    ('azure-logic-app-trigger-url', 'TEAMS_FLOW_URL', 'https://[a-z0-9-]{1,40}\\.[a-z0-9-]{2,40}\\.logic\\.azure\\.com(?::443)?/workflows/[0-9a-f]{32}/triggers/[A-Za-z0-9_%.-]{1,80}/paths/invoke[^\\s"\'<>]{0,250}?[?&]sig=[A-Za-z0-9_-]{43}', None, None, 0),
    ('azure-ad-client-secret-legacy', 'ARM_CLIENT_SECRET', '[A-Za-z0-9_~.\\[\\]@:?=*/+-]{32,44}', None, None, 4.3),
    ('azure-event-grid-key-header', None, '[A-Za-z0-9+/]{43}=', 'curl -X POST -H "aeg-sas-key: ', '" https://acme-orders.westeurope-1.eventgrid.azure.net/api/events', 4.0),
    ('bitbucket-app-password', 'BITBUCKET_APP_PASSWORD', 'ATBB[A-Za-z0-9_=.-]{32}', None, None, 3.8),
    ('bitbucket-client-secret', 'BITBUCKET_CLIENT_SECRET', '[A-Za-z0-9]{32}', None, None, 4.0),
    ('bitwarden-sm-access-token', 'BWS_ACCESS_TOKEN', '0\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.[A-Za-z0-9]{30}:[A-Za-z0-9+/]{22}==', None, None, 3.5),
    ('brevo-api-key', 'BREVO_API_KEY', '(?:xkeysib|xsmtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}', None, None, 0),
    ('browserbase-api-key', 'BROWSERBASE_API_KEY', 'bb_live_[A-Za-z0-9_-]{20,40}', None, None, 4.0),
    ('buildkite-api-token', 'BUILDKITE_API_TOKEN', 'bkua_[a-f0-9]{40}', None, None, 0),
    ('buildkite-agent-token', 'BUILDKITE_AGENT_TOKEN', '[a-f0-9]{50}|bkct_[A-Za-z0-9]{30,60}', None, None, 0),
    ('cerebras-api-key', 'CEREBRAS_API_KEY', 'csk-[a-z0-9]{48}', None, None, 4.0),
    ('checkout-secret-key', 'CKO_SECRET_KEY', 'sk_(?:test_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('circleci-token', 'CIRCLE_TOKEN', 'CCI(?:PAT|PRJ)_[A-Za-z0-9]{22}_[a-f0-9]{40}', None, None, 0),
    ('circleci-token-legacy', 'CIRCLE_TOKEN', '[a-f0-9]{40}', None, None, 0),
    ('clerk-secret-key', 'CLERK_SECRET_KEY', 'sk_(?:live|test)_[A-Za-z0-9]{30,64}', None, None, 4.0),
    ('clojars-token', 'CLOJARS_PASSWORD', 'CLOJARS_[a-z0-9]{60}', None, None, 0),
    ('cloudflare-api-token', 'CLOUDFLARE_API_TOKEN', '[A-Za-z0-9_-]{40}', None, None, 4.0),
    ('cloudflare-global-api-key', 'CLOUDFLARE_API_KEY', '[a-f0-9]{37}', None, None, 0),
    ('cloudflare-origin-ca-key', 'CF_ORIGIN_CA_KEY', 'v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}', None, None, 0),
    ('cockroachdb-cloud-connection-password', None, '[^\\s@/"\'<>]{8,128}', 'DATABASE_URL="cockroachdb://app:', '@acme-prod-1234.8nj.aws-eu-central-1.cockroachlabs.cloud:26257/defaultdb?sslmode=verify-full"', 3.0),
    ('cockroachdb-cloud-api-key', 'apikey', 'CCDB1_[A-Za-z0-9]{22}_[A-Za-z0-9]{40}', None, None, 4.0),
    ('cohere-api-key', 'COHERE_API_KEY', '[A-Za-z0-9]{40}', None, None, 4.0),
    ('configcat-management-api-credentials', 'CONFIGCAT_BASIC_AUTH_PASSWORD', '[A-Za-z0-9+/=_-]{20,100}', None, None, 3.8),
    ('contentful-management-token', 'CONTENTFUL_MANAGEMENT_TOKEN', 'CFPAT-[A-Za-z0-9_-]{43}', None, None, 4.0),
    ('crates-io-token', 'CARGO_REGISTRY_TOKEN', 'cio[A-Za-z0-9]{32}', None, None, 4.0),
    ('databricks-token', 'DATABRICKS_TOKEN', 'dapi[a-f0-9]{32}(?:-\\d)?', None, None, 0),
    ('datadog-api-key', 'DD_API_KEY', '[a-f0-9]{32}', None, None, 0),
    ('datadog-app-key', 'DD_APP_KEY', '[a-f0-9]{40}', None, None, 0),
    ('deepgram-api-key', 'DEEPGRAM_API_KEY', '[a-f0-9]{40}', None, None, 3.3),
    ('deepseek-api-key', 'DEEPSEEK_API_KEY', 'sk-[a-f0-9]{32}', None, None, 0),
    ('digitalocean-pat', 'DIGITALOCEAN_TOKEN', 'dop_v1_[a-f0-9]{64}', None, None, 0),
    ('digitalocean-oauth-token', 'refresh_token', 'do[or]_v1_[a-f0-9]{64}', None, None, 0),
    ('digitalocean-spaces-key', 'SPACES_SECRET_KEY', '[A-Za-z0-9/+]{43}', None, None, 4.0),
    ('discord-bot-token', 'DISCORD_TOKEN', '[MNO][A-Za-z0-9_-]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}', None, None, 4.0),
    ('discord-client-secret', 'DISCORD_CLIENT_SECRET', '[A-Za-z0-9_-]{32}', None, None, 3.8),
    ('discord-webhook-url-versioned', 'DISCORD_HOOK', 'https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/v\\d{1,2}/webhooks/\\d{17,20}/[A-Za-z0-9_-]{60,68}', None, None, 0),
    ('discord-bot-authorization-header', None, '[MNO][A-Za-z0-9_-]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}', 'headers = {"Authorization": "Bot ', '"}', 4.0),
    ('docker-hub-token', None, 'dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,32}', 'echo ', ' | docker login -u acme --password-stdin', 3.5),
    ('doppler-token', 'DOPPLER_TOKEN', 'dp\\.(?:pt|st|sa|ct|scim|audit)\\.[A-Za-z0-9_.-]{40,60}', None, None, 4.0),
    ('dropbox-access-token', 'DROPBOX_TOKEN', 'sl\\.(?:u\\.)?[A-Za-z0-9_-]{130,}', None, None, 4.0),
    ('dropbox-long-lived-token', 'DROPBOX_TOKEN', '[A-Za-z0-9_-]{11}AAAAAAAAAA[A-Za-z0-9_-]{43}', None, None, 0),
    ('dynatrace-token', 'DT_API_TOKEN', 'dt0[cs]01\\.[A-Z0-9]{24}\\.[A-Z0-9]{64}', None, None, 0),
    ('e2b-api-key', 'E2B_API_KEY', 'e2b_[A-Za-z0-9]{32,64}', None, None, 3.3),
    ('easypost-api-key', 'EASYPOST_API_KEY', 'EZAK[A-Za-z0-9]{54}', None, None, 4.0),
    ('elevenlabs-api-key', 'ELEVENLABS_API_KEY', 'sk_[a-f0-9]{48}|[a-f0-9]{32}', None, None, 3.3),
    ('facebook-access-token', 'FB_PAGE_TOKEN', 'EAA[A-Za-z0-9]{100,}', None, None, 4.0),
    ('facebook-app-secret', 'FACEBOOK_APP_SECRET', '[a-f0-9]{32}', None, None, 0),
    ('fal-api-key', 'FAL_KEY', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{32}', None, None, 3.5),
    ('figma-pat', 'FIGMA_TOKEN', 'figd_[A-Za-z0-9_-]{40}', None, None, 4.0),
    ('firecrawl-api-key', None, 'fc-[a-f0-9]{32}', 'app = FirecrawlApp(api_key="', '")', 3.3),
    ('fireworks-api-key', 'FIREWORKS_API_KEY', 'fw_[A-Za-z0-9]{24,40}', None, None, 4.0),
    ('flutterwave-secret-key', 'FLW_SECRET_KEY', 'FLWSECK-[a-f0-9]{32}-X|FLWSECK[a-f0-9]{12}', None, None, 0),
    ('flyio-token', 'FLY_API_TOKEN', 'fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}', None, None, 4.0),
    ('ghost-admin-api-key', 'GHOST_ADMIN_API_KEY', '[0-9a-f]{24}:[0-9a-f]{64}', None, None, 3.0),
    ('github-pat', 'GITHUB_TOKEN', '@crc:ghp', None, None, 0),
    ('github-oauth-token', 'oauth_token', '@crc:gho', None, None, 0),
    ('github-user-to-server-token', None, '@crc:ghu', 'Authorization: token ', '', 0),
    ('github-app-installation-token', None, '@crc:ghs', 'git remote set-url origin https://x-access-token:', '@github.com/acme/app', 0),
    ('github-refresh-token', 'refresh_token', '@crc:ghr', None, None, 0),
    ('github-fine-grained-pat', 'GH_TOKEN', 'github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}', None, None, 4.0),
    ('gitlab-pat', 'GITLAB_TOKEN', 'glpat-[A-Za-z0-9_-]{20}(?:[A-Za-z0-9_-]{7,}\\.[0-9a-z]{2}\\.?[0-9a-z]{7,9})?', None, None, 3.0),
    ('gitlab-pipeline-trigger-token', None, 'glptt-[0-9a-f]{40}', 'curl -X POST -F token=', ' -F ref=main https://gitlab.com/api/v4/projects/1/trigger/pipeline', 0),
    ('gitlab-runner-token', 'token', 'glrt-(?:t\\d_)?[A-Za-z0-9_-]{20,}(?:\\.[0-9a-z]{2}[0-9a-z]{7})?|GR1348941[A-Za-z0-9_-]{20}', None, None, 3.0),
    ('gitlab-deploy-token', 'password', 'gldt-[A-Za-z0-9_-]{20}', None, None, 3.0),
    ('gitlab-ci-job-token', 'CI_JOB_TOKEN', 'glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}', None, None, 3.0),
    ('gitlab-oauth-app-secret', 'client_secret', 'gloas-[0-9a-zA-Z_-]{64}', None, None, 3.5),
    ('gitlab-misc-token', None, 'glft-[0-9a-zA-Z_-]{20}|glimt-[0-9a-zA-Z_-]{25}|glsoat-[0-9a-zA-Z_-]{20}|glffct-[0-9a-zA-Z_-]{20}|glagent-[0-9a-zA-Z_-]{50}', 'https://gitlab.com/dashboard/projects.atom?feed_token=', '', 3.0),
    ('google-api-key', 'GOOGLE_API_KEY', 'AIza[0-9A-Za-z_-]{35}', None, None, 3.5),
    ('google-oauth-client-secret', None, 'GOCSPX-[A-Za-z0-9_-]{28}', '"client_secret": "', '"', 3.5),
    ('google-oauth-access-token', None, 'ya29\\.[0-9A-Za-z_-]{30,}', 'Authorization: Bearer ', '', 4.0),
    ('firebase-cloud-messaging-server-key', None, 'AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{134}', '"Authorization": "key=', '"', 0),
    ('google-oauth-refresh-token', None, '1//0[A-Za-z0-9_-]{60,250}', '{"type": "authorized_user", "client_id": "609104121474-bhbre46erds4r2d9sugldr1sbt37vrny.apps.googleusercontent.com", "refresh_token": "', '"}', 4.0),
    ('google-oauth-client-secret-legacy', None, '[A-Za-z0-9_-]{24}', '{"installed": {"client_id": "553866026615-k7so5j32wyhcsjqpkxoj91dqnfykepnb.apps.googleusercontent.com", "client_secret": "', '", "redirect_uris": ["http://localhost"]}}', 3.8),
    ('google-recaptcha-secret-key', 'RECAPTCHA_SECRET_KEY', '6L[A-Za-z0-9_-]{38}', None, None, 3.8),
    ('gcp-storage-hmac-secret', 'hmac_secret', '[A-Za-z0-9+/]{40}', None, None, 4.0),
    ('firebase-database-secret', 'FIREBASE_DB_SECRET', '[A-Za-z0-9]{40}', None, None, 4.0),
    ('grafana-cloud-token', 'GRAFANA_CLOUD_TOKEN', 'glc_[A-Za-z0-9+/]{32,}={0,2}', None, None, 4.0),
    ('grafana-service-account-token', 'GRAFANA_TOKEN', 'glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}', None, None, 3.5),
    ('grafana-api-key', 'GRAFANA_API_KEY', 'eyJrIjoi[A-Za-z0-9]{40,}={0,2}', None, None, 0),
    ('groq-api-key', 'GROQ_API_KEY', 'gsk_[A-Za-z0-9]{52}', None, None, 4.0),
    ('harness-api-token', 'HARNESS_API_KEY', '(?:pat|sat)\\.[A-Za-z0-9_-]{22}\\.[a-f0-9]{24}\\.[A-Za-z0-9]{20}', None, None, 4.0),
    ('vault-service-token', 'VAULT_TOKEN', 'hvs\\.[A-Za-z0-9_-]{24,}', None, None, 4.0),
    ('vault-batch-token', 'token', 'hvb\\.[A-Za-z0-9_-]{100,}', None, None, 4.0),
    ('vault-legacy-token', 'VAULT_TOKEN', '(?:s|b|r)\\.[A-Za-z0-9]{24}', None, None, 3.5),
    ('terraform-cloud-token', None, '[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60,70}', 'credentials "app.terraform.io" { token = "', '" }', 4.0),
    ('hcp-client-secret', 'HCP_CLIENT_SECRET', '[A-Za-z0-9_-]{64}', None, None, 4.0),
    ('heroku-api-key', 'HEROKU_API_KEY', 'HRKU-AA[A-Za-z0-9_-]{58}', None, None, 4.0),
    ('heroku-api-key-legacy', 'HEROKU_API_KEY', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('hetzner-cloud-token', 'HCLOUD_TOKEN', '[A-Za-z0-9]{64}', None, None, 4.0),
    ('honeycomb-api-key', 'HONEYCOMB_API_KEY', 'hc[a-z]{2}k_[a-z0-9]{58}|[A-Za-z0-9]{22}|[a-f0-9]{32}', None, None, 3.5),
    ('hubspot-private-app-token', 'HUBSPOT_TOKEN', 'pat-(?:na|eu|ap)\\d-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('huggingface-token', 'HF_TOKEN', '(?:hf_|api_org_)[A-Za-z]{34}', None, None, 3.5),
    ('ibm-cloud-api-key', 'IBMCLOUD_API_KEY', '[A-Za-z0-9_-]{44}', None, None, 4.0),
    ('jenkins-api-token', 'JENKINS_API_TOKEN', '11[a-f0-9]{32}|[a-f0-9]{32}', None, None, 0),
    ('artifactory-api-key', 'ARTIFACTORY_API_KEY', 'AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{40,90}', None, None, 4.0),
    ('jina-api-key', 'JINA_API_KEY', 'jina_[a-f0-9]{32}[A-Za-z0-9_-]{28}', None, None, 4.0),
    ('jwt', None, '@jwt', 'Authorization: Bearer ', '', 0),
    ('keycloak-client-secret', 'KEYCLOAK_CLIENT_SECRET', '[A-Za-z0-9]{32}', None, None, 4.0),
    ('langfuse-secret-key', 'LANGFUSE_SECRET_KEY', 'sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('langsmith-api-key', 'LANGCHAIN_API_KEY', 'lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}', None, None, 0),
    ('launchdarkly-token', 'LAUNCHDARKLY_SDK_KEY', '(?:api|sdk)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('linear-api-key', 'LINEAR_API_KEY', 'lin_api_[A-Za-z0-9]{40}|lin_oauth_[a-f0-9]{64}', None, None, 3.5),
    ('linode-token', 'LINODE_TOKEN', '[a-f0-9]{64}', None, None, 0),
    ('llamacloud-api-key', 'LLAMA_CLOUD_API_KEY', 'llx-[A-Za-z0-9]{40,60}', None, None, 4.0),
    ('mailchimp-api-key', 'MAILCHIMP_KEY', '[0-9a-f]{32}-us\\d{1,2}', None, None, 3.3),
    ('mailgun-private-api-key', 'MAILGUN_API_KEY', 'key-[0-9a-f]{32}', None, None, 3.3),
    ('mailgun-api-key', 'MAILGUN_API_KEY', '[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}', None, None, 0),
    ('mapbox-secret-token', 'MAPBOX_SECRET_TOKEN', '@b64json:sk\\.', None, None, 0),
    ('teams-webhook-url-legacy', 'TEAMS_WEBHOOK', 'https://outlook\\.office(?:365)?\\.com/webhook(?:b2)?/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('teams-workflow-webhook-url', 'WEBHOOK', 'https://[a-z0-9.-]{1,120}\\.environment\\.api\\.powerplatform\\.com(?::443)?/powerautomate/automations/direct/workflows/[0-9a-f]{32}/triggers/manual/paths/invoke\\?[^\\s"\'<>]{0,200}?sig=[A-Za-z0-9_-]{43}', None, None, 0),
    ('midtrans-server-key', 'MIDTRANS_SERVER_KEY', 'Mid-server-[A-Za-z0-9_-]{20,32}', None, None, 3.5),
    ('midtrans-sandbox-server-key', None, 'SB-Mid-server-[A-Za-z0-9_-]{20,32}', "\\Midtrans\\Config::$serverKey = '", "';", 3.5),
    ('midtrans-legacy-server-key', 'veritrans.server_key', 'VT-server-[A-Za-z0-9_-]{18,32}', None, None, 3.5),
    ('mistral-api-key', 'MISTRAL_API_KEY', '[A-Za-z0-9]{32}', None, None, 4.0),
    ('modal-token-secret', 'MODAL_TOKEN_SECRET', 'as-[A-Za-z0-9]{22}', None, None, 3.8),
    ('mongodb-atlas-private-key', 'MONGODB_ATLAS_PRIVATE_KEY', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('neon-api-key', 'NEON_API_KEY', 'napi_[a-z0-9]{64}', None, None, 3.5),
    ('neptune-api-token', 'NEPTUNE_API_TOKEN', 'eyJhcGlfYWRkcmVzcyI6[A-Za-z0-9+/]{60,600}={0,2}', None, None, 4.0),
    ('netlify-token', 'NETLIFY_AUTH_TOKEN', '(?:nfp_)?[A-Za-z0-9_-]{36,46}', None, None, 4.0),
    ('newrelic-user-api-key', 'NEW_RELIC_API_KEY', 'NRAK-[A-Z0-9]{27}', None, None, 0),
    ('newrelic-license-key', 'license_key', '[a-f0-9]{36}NRAL', None, None, 0),
    ('newrelic-insert-key', 'NEW_RELIC_INSERT_KEY', 'NRII-[A-Za-z0-9_-]{32}', None, None, 0),
    ('newrelic-license-key-legacy', 'license_key', '[a-f0-9]{40}', None, None, 3.3),
    ('notion-integration-token', 'NOTION_TOKEN', 'secret_[A-Za-z0-9]{43}|ntn_\\d{11}[A-Za-z0-9]{35}', None, None, 4.0),
    ('npm-access-token', None, '@crc:npm', '//registry.npmjs.org/:_authToken=', '', 0),
    ('nuget-api-key', None, 'oy2[a-z0-9]{43}', 'dotnet nuget push pkg.nupkg --api-key ', ' --source https://api.nuget.org/v3/index.json', 3.5),
    ('nuget-config-cleartext-password', None, '[^"<>\\s]{8,200}', '<packageSourceCredentials><acme><add key="Username" value="build" /><add key="ClearTextPassword" value="', '" /></acme></packageSourceCredentials>', 3.0),
    ('nvidia-api-key', None, 'nvapi-[A-Za-z0-9_-]{60,70}', 'client = OpenAI(base_url="https://integrate.api.nvidia.com/v1", api_key="', '")', 4.0),
    ('octopus-deploy-api-key', 'OCTOPUS_API_KEY', 'API-[A-Z0-9]{26,32}', None, None, 3.8),
    ('okta-api-token', 'OKTA_API_TOKEN', '00[A-Za-z0-9_-]{40}', None, None, 4.0),
    ('onesignal-api-key', 'ONESIGNAL_REST_API_KEY', 'os_v2_(?:app|org)_[a-z2-7]{100,110}', None, None, 3.5),
    ('onesignal-legacy-rest-api-key', 'ONESIGNAL_REST_API_KEY', '[A-Za-z0-9]{48}', None, None, 4.0),
    ('openai-api-key', 'OPENAI_API_KEY', 'sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}', None, None, 0),
    ('openrouter-api-key', 'OPENROUTER_API_KEY', 'sk-or-v1-[a-f0-9]{64}', None, None, 0),
    ('ovh-application-secret', 'application_secret', '[A-Za-z0-9]{32}', None, None, 3.8),
    ('ovh-consumer-key', 'OVH_CONSUMER_KEY', '[A-Za-z0-9]{32}', None, None, 3.8),
    ('paddle-live-api-key', 'PADDLE_API_KEY', 'pdl_live_apikey_[A-Za-z0-9_]{40,70}', None, None, 3.5),
    ('paddle-notification-secret', 'PADDLE_WEBHOOK_SECRET', 'pdl_ntfset_[A-Za-z0-9_]{30,80}', None, None, 3.5),
    ('pagerduty-api-key', 'PAGERDUTY_API_KEY', '[A-Za-z0-9_+-]{20}', None, None, 3.8),
    ('pagerduty-integration-key', 'PAGERDUTY_ROUTING_KEY', '[a-f0-9]{32}', None, None, 0),
    ('particle-access-token', 'PARTICLE_ACCESS_TOKEN', '[a-f0-9]{40}', None, None, 3.3),
    ('particle-access-token-url', None, '[a-f0-9]{40}', 'https://api.particle.io/v1/devices/fa89c559d97aa4d1049746fc/temperature?access_token=', '', 3.3),
    ('braintree-access-token', 'BRAINTREE_TOKEN', 'access_token\\$production\\$[a-z0-9]{16}\\$[a-f0-9]{32}', None, None, 0),
    ('braintree-private-key', 'BRAINTREE_PRIVATE_KEY', '[a-f0-9]{32}', None, None, 0),
    ('paypal-client-secret', 'PAYPAL_CLIENT_SECRET', '[A-Za-z0-9_-]{80}', None, None, 4.0),
    ('perplexity-api-key', 'PERPLEXITY_API_KEY', 'pplx-[A-Za-z0-9]{48}', None, None, 4.0),
    ('pinecone-api-key', None, 'pcsk_[A-Za-z0-9]{4,10}_[A-Za-z0-9]{50,80}', 'pc = Pinecone(api_key="', '")', 4.0),
    ('pinecone-api-key-legacy', 'PINECONE_API_KEY', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 3.0),
    ('plaid-access-token', 'access_token', 'access-(?:production|development)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('plaid-secret', 'PLAID_SECRET', '[a-f0-9]{30}', None, None, 0),
    ('planetscale-token', 'PLANETSCALE_SERVICE_TOKEN', 'pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_.-]{32,64}', None, None, 4.0),
    ('posthog-personal-api-key', 'POSTHOG_PERSONAL_API_KEY', 'phx_[A-Za-z0-9_-]{35,60}', None, None, 4.3),
    ('postman-api-key', 'POSTMAN_API_KEY', 'PMAK-[a-f0-9]{24}-[a-f0-9]{34}', None, None, 0),
    ('postmark-token', 'POSTMARK_SERVER_TOKEN', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('pulumi-access-token', 'PULUMI_ACCESS_TOKEN', 'pul-[a-f0-9]{40}', None, None, 0),
    ('pypi-upload-token', 'password', 'pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}', None, None, 4.0),
    ('razorpay-key-secret', 'RAZORPAY_KEY_SECRET', '[A-Za-z0-9]{24}', None, None, 3.8),
    ('render-api-key', 'RENDER_API_KEY', 'rnd_[A-Za-z0-9]{24,40}', None, None, 3.5),
    ('replicate-api-token', 'REPLICATE_API_TOKEN', 'r8_[A-Za-z0-9]{37}', None, None, 4.0),
    ('resend-api-key', 'RESEND_API_KEY', 're_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}', None, None, 3.5),
    ('rollbar-access-token', 'ROLLBAR_ACCESS_TOKEN', '[a-f0-9]{32}', None, None, 0),
    ('rubygems-api-key', None, 'rubygems_[a-f0-9]{48}', ':rubygems_api_key: ', '', 0),
    ('runpod-api-key', 'RUNPOD_API_KEY', 'rpa_[A-Za-z0-9]{32,64}', None, None, 4.0),
    ('salesforce-access-token', None, '00D[A-Za-z0-9]{12,15}![A-Za-z0-9_.]{80,120}', 'curl https://acme.my.salesforce.com/services/data/v61.0/sobjects -H "Authorization: Bearer ', '"', 4.0),
    ('salesforce-refresh-token', 'SF_REFRESH_TOKEN', '5Aep86[0-9][A-Za-z0-9._]{70,100}={0,2}', None, None, 4.0),
    ('salesforce-consumer-secret', 'SALESFORCE_CLIENT_SECRET', '[A-F0-9]{64}|\\d{19}', None, None, 2.5),
    ('scaleway-secret-key', 'SCW_SECRET_KEY', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('sendgrid-api-key', 'SENDGRID_API_KEY', 'SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}', None, None, 4.0),
    ('sentry-org-token', 'SENTRY_AUTH_TOKEN', '@b64json:sntrys_', None, None, 0),
    ('sentry-user-token', 'SENTRY_AUTH_TOKEN', 'sntryu_[a-f0-9]{64}', None, None, 0),
    ('sentry-dsn-secret', None, '[0-9a-f]{32}', 'SENTRY_DSN=https://075b9a7a34236d71276ec26ecfdcf632:', '@o543130.ingest.sentry.io/6024427', 0),
    ('sentry-auth-token-legacy', 'SENTRY_AUTH_TOKEN', '[a-f0-9]{64}', None, None, 0),
    ('shippo-live-token', 'SHIPPO_API_KEY', 'shippo_live_[a-f0-9]{40}', None, None, 0),
    ('shopify-access-token', 'SHOPIFY_ACCESS_TOKEN', 'shpat_[a-fA-F0-9]{32}', None, None, 0),
    ('shopify-shared-secret', 'SHOPIFY_API_SECRET', 'shpss_[a-fA-F0-9]{32}', None, None, 0),
    ('shopify-custom-app-token', 'token', 'shpca_[a-fA-F0-9]{32}', None, None, 0),
    ('shopify-private-app-password', 'SHOPIFY_PASSWORD', 'shppa_[a-fA-F0-9]{32}', None, None, 0),
    ('sidekiq-gem-credentials-env', 'BUNDLE_GEMS__CONTRIBSYS__COM', '[a-z0-9]{8}:[a-z0-9]{8,40}', None, None, 3.0),
    ('sidekiq-gem-source-url', None, '[a-z0-9]{8}:[a-z0-9]{8,40}', 'source "https://', '@gems.contribsys.com/" do', 3.0),
    ('sidekiq-bundle-config-credentials', None, '[a-z0-9]{8}:[a-z0-9]{8,40}', 'RUN bundle config --global gems.contribsys.com ', ' && bundle install', 3.0),
    ('slack-webhook-url', None, 'https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{8,12}/[A-Za-z0-9+/]{8,12}/[A-Za-z0-9+/]{20,48}', 'const hook = "', '";', 0),
    ('slack-token', 'SLACK_BOT_TOKEN', 'xox[abposr]-(?:\\d+-)+[A-Za-z0-9]{20,64}|xapp-\\d-[A-Z0-9]+-\\d+-[a-f0-9]{32,80}|xoxe\\.xox[bp]-\\d-[A-Za-z0-9]{100,200}', None, None, 0),
    ('slack-config-refresh-token', 'SLACK_CONFIG_REFRESH_TOKEN', 'xoxe-\\d-[A-Za-z0-9]{140,160}', None, None, 4.0),
    ('slack-workflow-trigger-url', 'SLACK_WORKFLOW_URL', 'https://hooks\\.slack\\.com/triggers/[TE][A-Z0-9]{8,12}/\\d{10,16}/[a-f0-9]{32}', None, None, 0),
    ('slack-signing-secret', 'SLACK_SIGNING_SECRET', '[a-f0-9]{32}', None, None, 3.2),
    ('slack-client-secret', 'slack_client_secret', '[a-f0-9]{32}', None, None, 3.2),
    ('slack-verification-token', 'SLACK_VERIFICATION_TOKEN', '[A-Za-z0-9]{24}', None, None, 3.5),
    ('snyk-token', 'SNYK_TOKEN', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', None, None, 0),
    ('sonarqube-token', 'SONAR_TOKEN', 'sq[pau]_[a-f0-9]{40}', None, None, 0),
    ('sonarqube-token-legacy', 'SONAR_TOKEN', '[a-f0-9]{40}', None, None, 3.3),
    ('sourcegraph-access-token', 'SRC_ACCESS_TOKEN', 'sgp_(?:[a-f0-9]{16}_|local_)?[a-f0-9]{40}', None, None, 0),
    ('sparkpost-api-key', 'SPARKPOST_API_KEY', '[0-9a-f]{40}', None, None, 0),
    ('splunk-hec-token', 'SPLUNK_HEC_TOKEN', '[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}', None, None, 0),
    ('splunk-authorization-header', None, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'curl -H "Authorization: Splunk ', '" https://splunk.acme.io:8088/services/collector', 0),
    ('square-access-token', 'SQUARE_ACCESS_TOKEN', 'EAAA[A-Za-z0-9_-]{60}|sq0atp-[A-Za-z0-9_-]{22}', None, None, 4.0),
    ('square-oauth-secret', 'SQUARE_APP_SECRET', 'sq0csp-[A-Za-z0-9_-]{43}', None, None, 4.0),
    ('stability-api-key', 'STABILITY_API_KEY', 'sk-[A-Za-z0-9]{48}', None, None, 4.0),
    ('stripe-secret-key', 'STRIPE_SECRET_KEY', '(?:sk|rk)_live_[A-Za-z0-9]{24,99}', None, None, 0),
    ('stripe-webhook-secret', 'STRIPE_WEBHOOK_SECRET', 'whsec_[A-Za-z0-9]{32,64}', None, None, 4.0),
    ('stytch-live-secret', 'STYTCH_SECRET', 'secret-live-[A-Za-z0-9_-]{30,44}={0,2}', None, None, 4.0),
    ('supabase-access-token', 'SUPABASE_ACCESS_TOKEN', 'sbp_[a-f0-9]{40}', None, None, 0),
    ('supabase-secret-key', 'SUPABASE_SECRET_KEY', 'sb_secret_[A-Za-z0-9_-]{30,64}', None, None, 4.0),
    ('tailscale-key', 'TS_AUTHKEY', 'tskey-(?:auth|api|client|webhook|scim)-[A-Za-z0-9]{8,20}-[A-Za-z0-9]{20,40}', None, None, 4.0),
    ('tavily-api-key', 'TAVILY_API_KEY', 'tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}', None, None, 3.8),
    ('teamcity-access-token', 'TEAMCITY_TOKEN', 'eyJ0eXAiOiAiVENWMiJ9\\.[A-Za-z0-9_-]{36}\\.[A-Za-z0-9_-]{48}', None, None, 4.0),
    ('telegram-bot-token', 'TELEGRAM_BOT_TOKEN', '\\d{8,10}:AA[A-Za-z0-9_-]{33}', None, None, 3.5),
    ('telegram-bot-token-url', None, '\\d{5,16}:[A-Za-z0-9_-]{35}', 'curl "https://api.telegram.org/bot', '/sendMessage?chat_id=42&text=deploy+done"', 3.5),
    ('telegram-bot-token-context', 'TELEGRAM_BOT_TOKEN', '\\d{5,16}:[A-Za-z0-9_-]{35}', None, None, 3.5),
    ('telegram-api-hash', None, '[a-f0-9]{32}', 'client = TelegramClient("session", api_id=17315669, api_hash="', '")', 3.3),
    ('telnyx-api-key', 'TELNYX_API_KEY', 'KEY[0-9A-Za-z_-]{55}', None, None, 4.0),
    ('tencent-secret-id', 'TENCENTCLOUD_SECRET_ID', 'AKID[A-Za-z0-9]{32}', None, None, 3.8),
    ('together-api-key', None, 'tgp_v1_[A-Za-z0-9_-]{43}', 'client = Together(api_key="', '")', 4.0),
    ('together-api-key-legacy', 'TOGETHER_API_KEY', '[a-f0-9]{64}', None, None, 3.5),
    ('travis-ci-token', 'TRAVIS_API_TOKEN', '[A-Za-z0-9_-]{22}', None, None, 3.8),
    ('twilio-auth-token', 'TWILIO_AUTH_TOKEN', '[0-9a-f]{32}', None, None, 3.2),
    ('twilio-api-key', 'TWILIO_API_SECRET', '[A-Za-z0-9]{32}', None, None, 4.0),
    ('twitch-oauth-token', None, 'oauth:[a-z0-9]{30}', 'PASS ', '', 3.5),
    ('twitch-client-secret', 'TWITCH_CLIENT_SECRET', '[a-z0-9]{30}', None, None, 3.5),
    ('twitter-bearer-token', 'TWITTER_BEARER_TOKEN', 'AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{60,140}', None, None, 3.0),
    ('twitter-api-secret', 'TWITTER_API_SECRET', '[A-Za-z0-9]{45,50}', None, None, 4.0),
    ('vercel-token', 'VERCEL_TOKEN', '[A-Za-z0-9]{24}', None, None, 3.8),
    ('vonage-api-secret', 'VONAGE_API_SECRET', '[A-Za-z0-9]{16}', None, None, 3.5),
    ('voyage-api-key', 'VOYAGE_API_KEY', 'pa-[A-Za-z0-9_-]{30,64}', None, None, 4.0),
    ('wandb-api-key', 'WANDB_API_KEY', '[a-f0-9]{40}', None, None, 3.3),
    ('discord-webhook-url', 'DISCORD_WEBHOOK', 'https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/\\d{17,20}/[A-Za-z0-9_-]{60,68}', None, None, 0),
    ('teams-webhook-url', 'TEAMS_URL', 'https://[a-z0-9-]{1,64}\\.webhook\\.office\\.com/webhookb2/[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36}(?:/[A-Za-z0-9_-]{20,80})?', None, None, 0),
    ('google-chat-webhook-url', None, 'https://chat\\.googleapis\\.com/v1/spaces/[A-Za-z0-9_-]{8,20}/messages\\?key=[A-Za-z0-9_-]{39}&token=[A-Za-z0-9_%=-]{40,80}', '', '', 0),
    ('zapier-webhook-url', 'ZAP_URL', 'https://hooks\\.zapier\\.com/hooks/catch/\\d{5,12}/[a-z0-9]{5,12}/?', None, None, 0),
    ('mattermost-webhook-url', 'MATTERMOST_HOOK', 'https://[A-Za-z0-9.-]{3,100}/hooks/[a-z0-9]{26}', None, None, 3.5),
    ('xai-api-key', 'XAI_API_KEY', 'xai-[A-Za-z0-9]{80}', None, None, 4.0),
    ('zendesk-api-token', 'ZENDESK_API_TOKEN', '[A-Za-z0-9]{40}', None, None, 4.0),
]



# ---------------------------------------------------------------------------------------
# Generic secrets in the syntax of each tool that stores one.


def django_key():
    alphabet = LOWER + DIGITS + "!@#$%^&*(-_=+)"
    return chars(50, alphabet)


def dot_files():
    f = new(".netrc")
    f.must("netrc-password", "machine git.acme-internal.com login ci-bot password {}", "netrc-password", value=password().replace("\\", "x"))
    f.line("machine artifacts.acme-internal.com")
    f.line("  login deploy")
    f.must("netrc-file-password", "  password {}", value=password().replace("\\", "x"))
    f.must_not("placeholder", "machine api.heroku.com login me@acme.example password $HEROKU_API_KEY", "$HEROKU")
    f = new("ops/windows/_netrc")
    f.must("netrc-file-password", "machine nexus.acme-internal.com login builder password {}", value=human_password())
    f = new(".pgpass")
    f.line("# hostname:port:database:username:password")
    f.must("pgpass-password", "db-primary.acme-internal.com:5432:billing:billing_app:{}", value=password().replace(":", "x").replace("\\", "x"))
    f.must("pgpass-password", "*:*:*:replicator:{}", value=chars(24))
    f = new(".git-credentials")
    f.must("github-pat", "https://ci-bot:{}@github.com", "github-pat")
    f.must("basic-auth-url", "https://deploy:{}@gitlab.acme-internal.com", value=chars(20))
    f = new("home/ci/.docker/config.json")
    f.line('{\n  "auths": {\n    "https://index.docker.io/v1/": {')
    auth = base64.b64encode(f"acmeci:{human_password()}".encode()).decode()
    f.must("docker-config-auth", '      "auth": "{}"', "docker-config-auth", value=auth)
    f.line("    },\n    \"quay.io\": {")
    f.must_not("placeholder", '      "auth": ""', '""')
    f.line('    }\n  },\n  "credHelpers": { "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" }\n}')
    f = new("web/.npmrc")
    f.line("@acme:registry=https://npm.acme-internal.com/")
    auth = base64.b64encode(f"builder:{password()}".encode()).decode()
    f.must("npmrc-auth", "//npm.acme-internal.com/:_auth={}", value=auth)
    f.must("npm-token", "//registry.npmjs.org/:_authToken={}", "npm-access-token")
    f.must_not("placeholder", "//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}", "${NODE")
    f.line("always-auth=true")
    f = new("home/ci/.pypirc")
    f.line("[distutils]\nindex-servers =\n    pypi\n    internal\n\n[pypi]\nusername = __token__")
    f.must("pypi-token", "password = {}", "pypi-upload-token")
    f.line("\n[internal]\nrepository = https://pypi.acme-internal.com/\nusername = deployer")
    f.must("pypirc-password", "password = {}", "pypirc-password", value=password())
    f = new("etc/pip.conf")
    f.line("[global]\ntimeout = 60")
    f.must("basic-auth-url", "index-url = https://builder:{}@pypi.acme-internal.com/simple/", value=chars(22))
    f.must_not("placeholder", "extra-index-url = https://${PIP_USER}:${PIP_PASSWORD}@pypi.acme-internal.com/simple/", "https://${")


def php_files():
    f = new("public/wp-config.php")
    f.line("<?php\n/** The base configuration for WordPress */")
    f.line("define( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wp_prod' );")
    f.must("php-define-password", "define( 'DB_PASSWORD', '{}' );", value=password().replace("'", "x").replace("\\", "x"))
    f.line("define( 'DB_HOST', 'mysql.acme-internal.com' );\n")
    salt_alphabet = ALNUM + "!#$%&()*+,-./:;<=>?@[]^_`{|}~ "
    for name in ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"]:
        f.must("wordpress-salt", f"define( '{name}', " + " " * (18 - len(name)) + "'{}' );", value=chars(64, salt_alphabet))
    f.must_not("placeholder", "define( 'WP_CACHE_KEY_SALT', 'put your unique phrase here' );", "put your")
    f.line("$table_prefix = 'wp_';")
    f = new("legacy/includes/db.php")
    f.line("<?php\n$db_host = 'localhost';\n$db_user = 'shop';")
    f.must("php-variable-password", "$db_password = '{}';", value=password().replace("'", "x").replace("\\", "x"))
    f.must("php-variable-password", "$smtppass = '{}';", value=human_password())
    f.must_not("placeholder", "$db_password = getenv('DB_PASSWORD');", "getenv")
    f.must_not("password-policy", "$min_password_length = 12;", "12")
    f.must_not("placeholder", "$password = $_POST['password'];", "$_POST")


def sql_files():
    f = new("db/migrations/0001_roles.sql")
    f.line("-- roles for the reporting stack")
    f.must("sql-user-password", "CREATE USER reporting WITH PASSWORD '{}';", value=password().replace("'", "x").replace("\\", "x"))
    f.must("sql-user-password", "ALTER USER replicator WITH ENCRYPTED PASSWORD '{}';", value=chars(20))
    f.must("sql-user-password", "CREATE ROLE grafana LOGIN PASSWORD '{}';", value=human_password())
    f.must_not("placeholder", "CREATE USER app WITH PASSWORD :'app_password';", ":'app")
    f.must_not("placeholder", "ALTER ROLE readonly WITH PASSWORD NULL;", "NULL")
    f = new("db/mysql/grants.sql")
    f.must("sql-user-password", "CREATE USER 'shop'@'%' IDENTIFIED BY '{}';", value=password().replace("'", "x").replace("\\", "x"))
    f.must("sql-user-password", "ALTER USER 'root'@'localhost' IDENTIFIED WITH mysql_native_password BY '{}';", value=chars(18))
    f.line("GRANT SELECT, INSERT, UPDATE ON shop.* TO 'shop'@'%';")
    f.must_not("hash", f"CREATE USER 'legacy'@'%' IDENTIFIED BY PASSWORD '*{chars(40, HEX.upper())}';", "'*")
    f = new("db/mssql/logins.sql")
    f.must("sql-user-password", "CREATE LOGIN etl_user WITH PASSWORD = N'{}', CHECK_POLICY = ON;", value=password().replace("'", "x"))
    f.must_not("placeholder", "CREATE LOGIN app WITH PASSWORD = N'$(AppPassword)';", "$(AppPassword)")
    f = new("db/oracle/create_schema.sql")
    f.must("sql-user-password", "CREATE USER billing IDENTIFIED BY \"{}\" DEFAULT TABLESPACE users;", value=chars(16))


def shell_secrets():
    f = new("scripts/backup.sh")
    f.line("#!/usr/bin/env bash\nset -euo pipefail\nDATE=$(date +%F)\n")
    f.must("sshpass-password", "sshpass -p '{}' rsync -az /var/backups/ backup@10.20.0.5:/srv/backups/", value=password().replace("'", "x"))
    f.must("generic-cli-password", "mysqldump -h db.internal -u backup -p{} --all-databases | gzip > all-$DATE.sql.gz", value=chars(16))
    f.must("pgpassword-env", "PGPASSWORD={} pg_dump -h pg.internal -U backup billing > billing-$DATE.sql", value=chars(18))
    f.must("pgpassword-env", "export PGPASSWORD='{}'", value=human_password())
    f.must("sshpass-password", "sshpass -p{} ssh -o StrictHostKeyChecking=no root@10.20.0.9 'systemctl restart app'", value=chars(14))
    f.must_not("placeholder", 'sshpass -p "$SSH_PASS" ssh deploy@10.20.0.5 uptime', '"$SSH_PASS"')
    f.must_not("placeholder", "mysql -u root -p billing < schema.sql", "-p billing")
    f.must_not("placeholder", 'PGPASSWORD="$(cat /run/secrets/pg)" psql -h pg.internal -U app', '"$(cat')


def terraform_files():
    f = new("infra/variables.tf")
    f.must("terraform-variable-default", 'variable "db_password" {\n  type      = string\n  sensitive = true\n  default   = "{}"\n}', value=password().replace('"', "x").replace("\\", "x"))
    f.line()
    f.must("terraform-variable-default", 'variable "datadog_api_key" {\n  description = "Datadog API key"\n  default     = "{}"\n}', value=chars(32, HEX))
    f.line()
    f.must_not("placeholder", 'variable "admin_password" {\n  type      = string\n  sensitive = true\n}', 'variable "admin_password"')
    f.must_not("placeholder", 'variable "token_ttl" {\n  default = "3600"\n}', 'variable "token_ttl"')
    f = new("infra/env/prod.tfvars")
    f.line('region      = "eu-west-1"\ninstance_type = "m6i.large"')
    f.must("terraform-tfvars-secret", 'db_password = "{}"', value=password().replace('"', "x").replace("\\", "x"))
    f.must("terraform-tfvars-secret", 'grafana_auth_token = "{}"', value=chars(32))
    f.must_not("placeholder", 'db_password_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"', "arn:aws")
    f = new("infra/providers.tf")
    f.line('provider "github" {\n  owner = "acme"')
    f.must("github-pat", '  token = "{}"', "github-pat")
    f.line('}\n\nprovider "postgresql" {\n  host     = "pg.internal"\n  username = "terraform"')
    f.must("generic-password", '  password = "{}"', value=password().replace('"', "x").replace("\\", "x"))
    f.line('}\n\nprovider "vault" {\n  address = "https://vault.acme-internal.com"')
    f.must("vault-service-token", '  token   = "{}"', "vault-service-token", value=from_shape("hvs\\.[A-Za-z0-9_-]{24}"))
    f.line("}")


def framework_keys():
    f = new("mysite/settings/production.py")
    f.line("from .base import *  # noqa\n\nDEBUG = False")
    key = django_key()
    while not any(c in key for c in "$()"):
        key = django_key()
    f.must("django-secret-key", "SECRET_KEY = '{}'", value=key)
    f.must_not("placeholder", "SECRET_KEY = os.environ['DJANGO_SECRET_KEY']", "os.environ")
    f = new("flaskapp/__init__.py")
    f.line("from flask import Flask\n\napp = Flask(__name__)")
    f.must("framework-secret-key", 'app.secret_key = b"{}"', value=chars(32, ALNUM))
    f.must("framework-secret-key", "app.config['SECRET_KEY'] = '{}'", value=chars(40, ALNUM + "-_"))
    f.must_not("placeholder", "app.config['SECRET_KEY'] = os.environ.get('SECRET_KEY')", "os.environ")
    f = new("config/secrets.yml")
    f.line("development:\n  secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>\n\nproduction:")
    f.must("rails-secret-key-base", "  secret_key_base: {}", value=chars(128, HEX))
    f = new("config/initializers/devise.rb")
    f.line("Devise.setup do |config|")
    f.must("generic-secret", "  config.secret_key = '{}'", value=chars(128, HEX))
    f.must_not("password-policy", "  config.password_length = 12..128", "12..128")
    f.line("end")


def java_dotnet_configs():
    f = new("settings.xml")
    f.line('<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">\n  <servers>')
    f.must("maven-settings-password", "    <server>\n      <id>acme-releases</id>\n      <username>deployer</username>\n      <password>{}</password>\n    </server>", value=password().replace("<", "x").replace("&", "x"))
    f.must_not("placeholder", "    <server>\n      <id>acme-snapshots</id>\n      <username>deployer</username>\n      <password>${env.MAVEN_PASSWORD}</password>\n    </server>", "${env")
    f.line("  </servers>\n</settings>")
    f = new("jenkins/credentials.xml")
    f.line("<?xml version='1.1' encoding='UTF-8'?>\n<com.cloudbees.plugins.credentials.SystemCredentialsProvider>\n  <domainCredentialsMap>")
    f.must("jenkins-credentials-secret", "    <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n      <id>nexus</id>\n      <username>jenkins</username>\n      <password>{}</password>\n    </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>", value=password().replace("<", "x").replace("&", "x").replace("{", "x"))
    f.must_not("placeholder", "    <org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>\n      <id>slack</id>\n      <secret>{AQAAABAAAAAQ" + chars(40, B64) + "=}</secret>\n    </org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>", "{AQAAAB")
    f.line("  </domainCredentialsMap>\n</com.cloudbees.plugins.credentials.SystemCredentialsProvider>")
    f = new("src/main/resources/application.yml")
    f.line("spring:\n  datasource:\n    url: jdbc:postgresql://pg.internal:5432/orders\n    username: orders")
    f.must("generic-password", "    password: {}", value=password().replace(":", "x").replace("#", "x"))
    f.line("  rabbitmq:\n    host: rabbit.internal")
    f.must("generic-password", '    password: "{}"', value=human_password())
    f.line("  mail:")
    f.must_not("placeholder", "    password: ${MAIL_PASSWORD}", "${MAIL")
    f.must_not("placeholder", "    password: ${MAIL_PASSWORD:}", "${MAIL")
    f.line("app:\n  jwt:")
    f.must("generic-secret", "    secret: {}", value=chars(64, ALNUM))
    f.must_not("password-policy", "    expiration-ms: 86400000", "86400000")
    f = new("src/main/resources/application-oracle.properties")
    f.must("jdbc-password", "spring.datasource.url=jdbc:mysql://mysql.internal:3306/shop?user=shop&password={}&useSSL=true", value=chars(16))
    f.must("jdbc-password", "legacy.datasource.url=jdbc:sqlserver://sql.internal:1433;databaseName=crm;user=crm;password={};encrypt=true", value=chars(16))
    f.must("generic-password", "spring.datasource.hikari.data-source-properties.password={}", value=password())
    f = new("dotnet/Legacy/Web.config")
    f.line('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <connectionStrings>')
    f.must("connection-string-password", '    <add name="Crm" connectionString="Data Source=sql-prod;Initial Catalog=crm;User ID=crm_app;Password={};" providerName="System.Data.SqlClient" />', value=chars(18))
    f.must("connection-string-password", '    <add name="Reports" connectionString="Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql-prod,1433;Database=reports;Uid=reports;Pwd=' + "{}" + ';Encrypt=yes;" />', value=chars(18))
    f.must("connection-string-password", '    <add name="Legacy" connectionString="Provider=SQLOLEDB;Data Source=sql-old;Initial Catalog=legacy;User Id=legacy;Password={};" />', value=chars(16))
    f.must_not("placeholder", '    <add name="Local" connectionString="Server=(localdb)\\mssqllocaldb;Database=dev;Trusted_Connection=True;" />', "Server=(localdb)")
    f.line("  </connectionStrings>\n  <appSettings>")
    f.must("generic-xml-secret", '    <add key="SmtpPassword" value="{}" />', value=password().replace('"', "x").replace("&", "x").replace("<", "x"))
    f.line("  </appSettings>\n</configuration>")
    f = new("dotnet/Orders/appsettings.Production.json")
    f.line('{\n  "ConnectionStrings": {')
    f.must("connection-string-password", '    "Orders": "Host=pg.internal;Port=5432;Database=orders;Username=orders;Password={}",', value=chars(18))
    f.must("connection-string-password", '    "Catalog": "Server=mysql.internal;Database=catalog;Uid=catalog;Pwd={};SslMode=Required"', value=chars(18))
    f.line("  },")
    f.must_not("placeholder", '  "Redis": "localhost:6379,password=",', "localhost")
    f.line('  "AllowedHosts": "*"\n}')


def ansible():
    f = new("ansible/group_vars/prod/vars.yml")
    f.line("---\nnginx_worker_processes: 4")
    f.must("generic-password", "ansible_become_pass: {}", value=password().replace(":", "x").replace("#", "x"))
    f.must("generic-password", "mysql_root_password: {}", value=chars(20))
    f.must("generic-password", 'postgres_users:\n  - name: app\n    password: "{}"', value=human_password())
    f.must_not("placeholder", 'grafana_admin_password: "{{ vault_grafana_admin_password }}"', "{{")
    f.must_not("placeholder", "api_token: \"{{ lookup('env', 'API_TOKEN') }}\"", "{{")
    f = new("ansible/group_vars/prod/vault.yml")
    f.line("$ANSIBLE_VAULT;1.1;AES256")
    for _ in range(6):
        f.must_not("ansible-vault", chars(80, HEX))


# ---------------------------------------------------------------------------------------
# Helm values: the chart vocabulary.


def helm_values():
    f = new("charts/platform/values.yaml")
    f.line("# Default values for platform.\nglobal:\n  imageRegistry: ghcr.io")
    f.line("postgresql:\n  auth:\n    username: app")
    f.must("helm-password", "    postgresPassword: {}", value=chars(20))
    f.must("helm-password-list", "    passwords:\n      - {}", value=chars(18))
    f.must("helm-password-list", "      - {}", value=chars(18))
    f.must("helm-password-list", '    replicationPasswords: "{}"', value=chars(16) + "," + chars(16))
    f.must_not("placeholder", "    existingSecret: \"\"", '""')
    f.line("redis:\n  auth:\n    enabled: true")
    f.must("low-entropy-password", "    password: {}", value="dev-password-123")
    f.line("openldap:")
    f.must("helm-abbrev", "  bindpw: {}", value=chars(16))
    f.must("helm-abbrev", "  rootpw: {}", value=human_password())
    f.line("smtp:\n  host: smtp.acme-internal.com\n  user: notifications")
    f.must("helm-abbrev", "  pass: {}", value=chars(16))
    f.line("ftp:")
    f.must("helm-abbrev", "  pwd: {}", value=chars(14))
    f.line("legacy:")
    f.must("helm-abbrev", "  passwd: {}", value=chars(14))
    f.line("ssh:")
    f.must("helm-abbrev", "  passphrase: {}", value=human_password())
    f.line("airflow:")
    f.must("helm-key-material", "  fernetKey: {}", value=base64.urlsafe_b64encode(rng.randbytes(32)).decode())
    f.must("helm-key-material", "  webserverSecretKey: {}", value=chars(32, HEX))
    f.line("mongodb:")
    f.must("helm-key-material", "  replicaSetKey: {}", value=chars(32))
    f.line("meilisearch:")
    f.must("helm-key-material", "  masterKey: {}", value=chars(32, B64URL))
    f.line("vault:")
    f.must("helm-key-material", "  encryptionKey: {}", value=base64.b64encode(rng.randbytes(32)).decode())
    f.line("oauth2Proxy:")
    f.must("helm-key-material", "  cookieSecret: {}", value=base64.urlsafe_b64encode(rng.randbytes(32)).decode())
    f.line("rabbitmq:")
    f.must("helm-key-material", "  erlangCookie: {}", value=chars(32, UPPER))
    f.line("api:")
    f.must("helm-key-material", "  jwtSecret: {}", value=chars(48))
    f.must("helm-key-material", "  hmacKey: {}", value=chars(64, HEX))
    f.must("helm-key-material", "  signingKey: {}", value=chars(40))
    f.must("helm-key-material", "  secretKeyBase: {}", value=chars(128, HEX))
    f.must("helm-key-material", "  sessionSecret: {}", value=chars(40, B64URL))
    f.must("helm-key-material", "  sharedKey: {}", value=chars(44, B64))
    f.must("helm-key-material", "  webhookKey: {}", value=chars(40))
    f.must("helm-tokens-list", "  tokens:\n    - {}", value=chars(40))
    f.line("metrics:")
    f.must("helm-flow-mapping", '  auth: {"user": "svc", "password": "' + "{}" + '"}', value=chars(20))
    f.must("helm-flow-mapping", "  basicAuth: { username: scraper, password: {} }", value=chars(20))
    f.line("defaults:")
    f.must("helm-anchor", "  dbPassword: &dbpass {}", value=chars(22))
    f.line("primary:")
    f.must_not("yaml-alias", "  password: *dbpass", "*dbpass")
    f.line("replica:")
    f.must_not("yaml-alias", "  password: *dbpass", "*dbpass")
    f.line("keycloak:")
    f.must("helm-password", "  adminPassword: '{}'", value=password().replace("'", "x"))
    f.line("# look-alikes")
    f.must_not("placeholder", "  existingSecret: keycloak-admin", "keycloak-admin")
    f.must_not("placeholder", "  existingSecretPasswordKey: admin-password", "admin-password")
    f.must_not("placeholder", "  password: \"{{ .Values.global.postgresql.password }}\"", "{{")
    f.must_not("placeholder", "  token: ${API_TOKEN}", "${API_TOKEN}")
    f.must_not("placeholder", "  password: \"\"", '""')
    f.must_not("placeholder", "  jwtSecret: REPLACE_ME", "REPLACE_ME")
    f.must_not("placeholder", "  cookieSecret: <set-me>", "<set-me>")
    f.must_not("placeholder", "  masterKey: your-master-key-here", "your-master")
    f.must_not("password-policy", "  passwordMinLength: 12", "12")
    f.must_not("password-policy", "  passwordMaxAgeDays: 90", "90")
    f.must_not("password-policy", "  tokenTTL: 3600", "3600")
    f.must_not("password-policy", "  sessionTimeout: 30m", "30m")
    f.must_not("label", "  passwordKey: postgres-password", "postgres-password")
    f.must_not("label", "  tokenSecretName: api-token", "api-token")
    f.must_not("label", "  signingKeyAlgorithm: RS256", "RS256")
    f.must_not("placeholder", "  encryptionKey: null", "null")
    f.must_not("placeholder", "  passwords: []", "[]")
    f.must_not("label", "  hmacKeyFile: /etc/hmac/key", "/etc/hmac/key")
    f = new("charts/platform/templates/deployment.yaml")
    f.line("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"platform.fullname\" . }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:")
    f.must_not("placeholder", "                  name: {{ .Values.postgresql.auth.existingSecret }}", "{{")
    f.must_not("label", "                  key: password", "password")
    f.line("            - name: JWT_SECRET")
    f.must_not("placeholder", "              value: {{ .Values.api.jwtSecret | quote }}", "{{")
    f.line("            - name: SESSION_SECRET")
    f.must("k8s-env-literal", "              value: {}", value=chars(40))
    f = new("deploy/k8s/external-secret.yaml")
    f.line("apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: billing-db\nspec:\n  secretStoreRef:\n    name: vault\n    kind: ClusterSecretStore\n  target:\n    name: billing-db\n  data:")
    f.must_not("placeholder", "    - secretKey: password", "password")
    f.must_not("placeholder", "      remoteRef:\n        key: secret/data/billing/db\n        property: password", "key: secret")
    f.must_not("placeholder", "    - secretKey: apiToken", "apiToken")
    f.line("      remoteRef:\n        key: secret/data/billing/api\n        property: token")


# ---------------------------------------------------------------------------------------
# Secrets split across literals, and PEM keys inside strings.


def split_literals():
    f = new("tools/release/publish.py")
    f.line("import requests\n")
    tok = SECRETS["github-pat"]()
    f.must("concatenated-token", f'GH_TOKEN = "{tok[:4]}" + "{tok[4:]}"', "github-pat", value=tok[:4])
    tok = SECRETS["stripe-secret-key"]()
    f.must("implicit-concatenation", f'STRIPE_KEY = (\n    "{tok[:16]}"\n    "{tok[16:]}"\n)', "stripe-secret-key", value=tok[:16])
    tok = SECRETS["slack-bot-token"]()
    f.must("implicit-concatenation", f'SLACK = "{tok[:20]}" "{tok[20:]}"', "slack-token", value=tok[:20])
    f = new("web/src/legacy/track.js")
    tok = SECRETS["sendgrid-api-key"]()
    f.must("concatenated-token", f"const sgKey = '{tok[:25]}' +\n  '{tok[25:]}';", "sendgrid-api-key", value=tok[:25])
    tok = SECRETS["openai-api-key"]()
    f.must("concatenated-token", f"const OPENAI = ['{tok[:60]}', '{tok[60:]}'].join('');", "openai-api-key", value=tok[:60])
    f = new("services/notify/token.go")
    f.line("package notify\n")
    tok = SECRETS["gitlab-pat"]()
    f.must("concatenated-token", f'const glToken = "{tok[:6]}" + "{tok[6:]}"', "gitlab-pat", value=tok[:6])
    f = new("services/auth/keys.py")
    body = "\\n".join(chars(64, B64) for _ in range(8))
    f.must("private-key-in-string", 'SIGNING_KEY = "' + armor("RSA " + "PRIVATE KEY", "{}", "\\n") + '\\n"', value=body)
    f.cases[-1] = (f.path, f.cases[-1][1], 16, "must", "private-key-in-string", "")
    f = new("config/jwt-keys.json")
    body = "\\n".join(chars(64, B64) for _ in range(8))
    f.line("{")
    f.must("private-key-in-string", '  "privateKey": "' + armor("PRIVATE " + "KEY", "{}", "\\n") + '\\n",', value=body)
    f.cases[-1] = (f.path, f.cases[-1][1], 18, "must", "private-key-in-string", "")
    f.line('  "publicKey": "' + public_key_pem().replace("\n", "\\n") + '"')
    f.cases.append((f.path, len(f.lines), 17, "must-not", "public-key", ""))
    f.line("}")
    f = new("src/test/java/com/acme/TokenSignerTest.java")
    f.line("class TokenSignerTest {")
    lines = [chars(64, B64) for _ in range(6)]
    text = '    static final String KEY = "-----BEGIN ' + 'PRIVATE KEY-----\\n"\n' + "\n".join(f'        + "{l}\\n"' for l in lines) + '\n        + "-----END ' + 'PRIVATE KEY-----";'
    f.case("must", "private-key-in-string", text, "-----BEGIN")
    f.line("}")
    f = new("web/src/server/sign.ts")
    f.line("export const key = `" + armor("EC " + "PRIVATE KEY", pem_body(3)) + "`;")
    f.cases.append((f.path, 1, 21, "must", "private-key-in-string", "private-key"))


# ---------------------------------------------------------------------------------------
# Look-alikes that fool scanners.


def lookalikes():
    f = new("docs/api/authentication.md")
    f.line("# Authentication\n\nExamples in this page use the vendors' published sample values.\n")
    f.must_not("vendor-doc-example", "    stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'", "sk_test_4eC39")
    f.must_not("vendor-doc-example", "    Stripe('pk_test_TYooMQauvdEDq54NiTphI7jx')", "pk_test_")
    f.must_not("vendor-doc-example", "    curl -H 'Authorization: token ghp_16C7e42F292c6912E7710c838347Ae178B4a' https://api.github.com/user", "ghp_16C7")
    f.must_not("vendor-doc-example", "    SLACK_BOT_TOKEN=xoxb-not-a-real-token-this-will-not-work", "xoxb-")
    f.must_not("vendor-doc-example", f"    aws configure set aws_secret_access_key {AWS_DOC_SECRET}", AWS_DOC_SECRET)
    f.must_not("redacted", "    OPENAI_API_KEY=sk-proj-…xxxx", "sk-proj")
    f.must_not("redacted", "    Authorization: Bearer ****************", "****")
    f.must_not("redacted", "    token: ghp_****************************1a2B", "ghp_")
    f.must_not("redacted", "    api_key: sk_live_••••••••••••••••4242", "sk_live_")
    f.must_not("placeholder", "    export HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "hf_")
    f.must_not("placeholder", "    password: <password>", "<password>")
    f.must_not("placeholder", "    curl -u admin:$ADMIN_PASSWORD https://jenkins.acme-internal.com/api/json", "admin:$")
    f.must_not("placeholder", "    docker login -u acme -p \"$DOCKERHUB_TOKEN\"", "$DOCKERHUB")
    f = new("web/public/index.html")
    f.line("<!doctype html>\n<html>\n<head>")
    for lib in ["react", "react-dom", "lodash"]:
        f.must_not("sri-integrity", f'  <script src="https://cdn.jsdelivr.net/npm/{lib}@18/umd/{lib}.min.js" integrity="sha384-{base64.b64encode(rng.randbytes(48)).decode()}" crossorigin="anonymous"></script>', "integrity")
    f.must_not("base64-image", f'  <link rel="icon" href="data:image/png;base64,{png_b64()}">', "data:image")
    f.must_not("public-by-design", f'  <meta name="google-site-verification" content="{chars(43, B64URL)}">', "google-site")
    f.must_not("label", '  <input type="password" name="password" autocomplete="current-password">', "current-password")
    f.line("</head>\n</html>")
    f = new("deploy/k8s/webhook-config.yaml")
    f.line("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: policy\nwebhooks:\n  - name: policy.acme.io\n    clientConfig:")
    f.must_not("certificate", "      caBundle: " + base64.b64encode(certificate_pem().encode()).decode(), "caBundle")
    f = new("config/kubeconfig.yaml")
    f.line("apiVersion: v1\nkind: Config\nclusters:\n  - cluster:")
    f.must_not("certificate", "      certificate-authority-data: " + base64.b64encode(certificate_pem().encode()).decode(), "certificate-authority-data")
    f.line("      server: https://k8s.acme-internal.com:6443\n    name: prod\nusers:\n  - name: ci\n    user:")
    f.must("kubeconfig-user-token", "      token: {}", "kubeconfig-user-token", value=chars(64, ALNUM))
    f = new("tests/fixtures/hashes.txt")
    for _ in range(4):
        f.must_not("hash", chars(32, HEX) + "  dist/app-" + chars(6, DIGITS) + ".tar.gz", None)
    for _ in range(3):
        f.must_not("hash", "sha1:" + chars(40, HEX))
    for _ in range(3):
        f.must_not("hash", "sha512:" + chars(128, HEX))
    f.must_not("hash", bcrypt())
    f.must_not("hash", argon2())
    f.must_not("hash", "pbkdf2_sha256$600000$" + chars(22) + "$" + base64.b64encode(rng.randbytes(32)).decode())
    f.must_not("hash", "{SSHA}" + base64.b64encode(rng.randbytes(24)).decode())
    f.must_not("hash", "$6$" + chars(16, ALNUM + "./") + "$" + chars(86, ALNUM + "./"))
    f = new("docs/CHANGELOG.md")
    f.line("# Changelog\n")
    for _ in range(6):
        f.must_not("git-sha", f"- Fix token refresh race ({git_sha()})", "(")
    for _ in range(4):
        f.must_not("uuid", f"- Migration {uuid()} renames password_hash to credential_hash", "Migration")
    f = new("web/src/locales/es.json")
    f.line("{")
    for k, v in [("password", "Contraseña"), ("password_hint", "Al menos 12 caracteres"), ("token_expired", "Tu sesión ha caducado"), ("api_key", "Clave de API"), ("secret", "Secreto"), ("reset_password", "Restablecer contraseña")]:
        f.must_not("i18n", f'  "{k}": "{v}",')
    f.line('  "ok": "Vale"\n}')
    f = new("web/src/locales/ja.yml")
    f.line("ja:")
    for k, v in [("password", "パスワード"), ("password_confirmation", "パスワード（確認）"), ("api_token", "APIトークン"), ("secret_key", "秘密鍵")]:
        f.must_not("i18n", f"  {k}: {v}")
    f = new("app/auth/names.py")
    for line in ["class PasswordResetTokenGenerator(object):", "def get_api_key_from_header(request):",
                 "SECRET_KEY_FALLBACKS = []", "TOKEN_HEADER_NAME = 'X-Auth-Token'",
                 "access_token_expires_in = timedelta(minutes=15)", "password_reset_timeout = 3600",
                 "api_key_prefix = 'Bearer'", "secret = get_secret('billing/db')",
                 "token = create_access_token(identity=user.id)", "password = getpass.getpass('Password: ')"]:
        f.must_not("identifier", line)
    f = new("tests/test_auth.py")
    f.line("import pytest\n")
    f.must_not("test-value", 'token = "test-token"')
    f.must_not("test-value", 'FAKE_STRIPE_KEY = "sk_test_fake"', "sk_test_fake")
    f.must_not("test-value", 'api_key = "dummy-api-key-for-tests"', "dummy")
    f = new("tests/fixtures/wrong_checksums.env")
    for prefix in ["ghp", "gho", "ghs", "ghu", "npm"]:
        body = chars(30)
        bad = base62_6((zlib.crc32(body.encode()) + 1) & 0xFFFFFFFF)
        f.must_not("checksum-invalid", f"TOKEN_{prefix.upper()}={prefix}_{body}{bad}", f"{prefix}_")
    f = new("deploy/keys/deploy_ed25519.pub")
    f.must_not("public-key", ssh_public_key())
    f = new("deploy/age/recipients.txt")
    for _ in range(3):
        f.must_not("public-key", "age1" + chars(58, BECH32), "age1")
    f = new("infra/.terraform.lock.hcl")
    f.line("# This file is maintained automatically by \"terraform init\".\n")
    for name in ["hashicorp/aws", "cloudflare/cloudflare"]:
        f.line(f'provider "registry.terraform.io/{name}" {{\n  version = "5.{rng.randint(0, 60)}.0"\n  hashes = [')
        f.must_not("lockfile-integrity", f'    "h1:{base64.b64encode(rng.randbytes(32)).decode()}",', "h1:")
        for _ in range(3):
            f.must_not("lockfile-integrity", f'    "zh:{sha256()}",', "zh:")
        f.line("  ]\n}\n")
    f = new("deploy/k8s/images.lock.yaml")
    for img in ["ghcr.io/acme/api", "ghcr.io/acme/worker", "docker.io/library/redis"]:
        f.must_not("hash", f"- image: {img}@sha256:{sha256()}", "@sha256")
    f = new("web/src/sentry.client.ts")
    f.line("import * as Sentry from '@sentry/browser';\n")
    f.must_not("public-by-design", f"Sentry.init({{ dsn: 'https://{chars(32, HEX)}@o{rng.randint(10**5, 10**6)}.ingest.sentry.io/{rng.randint(10**6, 10**7)}' }});", "https")
    f.must_not("public-by-design", f"export const GOOGLE_CLIENT_ID = '{rng.randint(10**11, 10**12)}-{chars(32, LOWER + DIGITS)}.apps.googleusercontent.com';", "'")
    f = new("docs/ssh.md")
    f.line("Host key fingerprints:\n")
    for _ in range(3):
        f.must_not("fingerprint", "    SHA256:" + base64.b64encode(rng.randbytes(32)).decode().rstrip("="), "SHA256")


# ---------------------------------------------------------------------------------------
# Key stores and DER keys: binary files, recognised by structure. Built here byte by byte in
# the documented layouts (RFC 7292 PKCS#12, RFC 5208 PKCS#8, the JDK's JKS format) with seeded
# random key bytes, so the corpus stays reproducible; tests/cli/keystores.rs scans files made
# by the real openssl and keytool.


class BinaryFile:
    """A binary file with its cases at line 1, column 1 (where a key-store finding sits)."""

    def __init__(self, path, data, expect, kind, rule=""):
        self.path = path
        self.data = data
        self.cases = [(path, 1, 1, expect, kind, rule)]

    def render(self):
        return self.data


def der(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([tag, n])
    elif n < 0x100:
        head = bytes([tag, 0x81, n])
    else:
        head = bytes([tag, 0x82, n >> 8, n & 0xFF])
    return head + content


def seq(*parts):
    return der(0x30, b"".join(parts))


OID_DATA = bytes.fromhex("06092a864886f70d010701")
OID_ENCRYPTED_DATA = bytes.fromhex("06092a864886f70d010706")
OID_SHROUDED_KEY_BAG = bytes.fromhex("060b2a864886f70d010c0a0102")
OID_CERT_BAG = bytes.fromhex("060b2a864886f70d010c0a0103")
OID_PBES2 = bytes.fromhex("06092a864886f70d01050d")
OID_EC = bytes.fromhex("06072a8648ce3d0201")
OID_P256 = bytes.fromhex("06082a8648ce3d030107")
OID_RSA = bytes.fromhex("06092a864886f70d010101")


def random_bytes(n):
    return bytes(rng.randrange(256) for _ in range(n))


def pkcs8_ec():
    inner = seq(der(0x02, b"\x01"), der(0x04, random_bytes(32)), der(0xA0, OID_P256))
    return seq(der(0x02, b"\x00"), seq(OID_EC, OID_P256), der(0x04, inner))


def pkcs12(key_bag):
    bags = []
    if key_bag:
        shrouded = seq(seq(OID_PBES2, seq(der(0x04, random_bytes(16)))), der(0x04, random_bytes(144)))
        bags.append(seq(OID_SHROUDED_KEY_BAG, der(0xA0, shrouded)))
    else:
        bags.append(seq(OID_CERT_BAG, der(0xA0, der(0x04, random_bytes(180)))))
    safe = [seq(OID_DATA, der(0xA0, der(0x04, seq(*bags))))]
    if key_bag:
        safe.append(seq(OID_ENCRYPTED_DATA, der(0xA0, seq(der(0x02, b"\x00"), der(0x04, random_bytes(300))))))
    auth_safe = seq(OID_DATA, der(0xA0, der(0x04, seq(*safe))))
    mac = seq(seq(der(0x04, random_bytes(32))), der(0x04, random_bytes(8)), der(0x02, b"\x08\x00"))
    return seq(der(0x02, b"\x03"), auth_safe, mac)


def java_store(entries):
    def utf(text):
        return len(text).to_bytes(2, "big") + text.encode()
    out = bytes.fromhex("feedfeed") + (2).to_bytes(4, "big") + len(entries).to_bytes(4, "big")
    for tag, alias in entries:
        out += tag.to_bytes(4, "big") + utf(alias) + random_bytes(8)
        cert = utf("X.509") + (160).to_bytes(4, "big") + random_bytes(160)
        if tag == 1:
            out += (120).to_bytes(4, "big") + random_bytes(120) + (1).to_bytes(4, "big") + cert
        else:
            out += cert
    return out + random_bytes(20)


def keystores():
    FILES.extend([
        BinaryFile("deploy/certs/client.p12", pkcs12(True), "must", "keystore-pkcs12", "keystore-pkcs12"),
        BinaryFile("android/app/release.keystore", java_store([(1, "upload")]), "must", "keystore-java", "keystore-java"),
        BinaryFile("config/tls/server.key.der", pkcs8_ec(), "must", "private-key-der", "private-key-der"),
        BinaryFile("src/main/resources/truststore.jks", java_store([(2, "ca"), (2, "intermediate")]), "must-not", "truststore"),
        BinaryFile("config/tls/ca-bundle.p12", pkcs12(False), "must-not", "truststore"),
        BinaryFile("config/tls/public.der", seq(seq(OID_RSA, b"\x05\x00"), der(0x03, b"\x00" + random_bytes(140))), "must-not", "public-key"),
    ])


BUILDERS = [
    python_settings, python_client, notebook, javascript, typescript, minified, go_file, java,
    properties, xml, csharp, appsettings, yaml_values, github_workflow, dotenv, dotenv_example,
    shell, dockerfile, terraform, markdown, package_lock, yarn_lock, go_sum, cargo_lock,
    docker_config, npmrc, keys, gcp_service_account, k8s_encoded, encoded_misc, css, locales,
    placeholders_json, ruby_php, aws_composite, more_tokens, password_code, providers,
    dot_files, php_files, sql_files, shell_secrets, terraform_files, framework_keys, java_dotnet_configs,
    ansible, helm_values, split_literals, lookalikes, keystores,
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
        data = f.render()
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data)
        rows.extend("\t".join(str(x) for x in c) for c in f.cases)
    (ROOT / "manifest.tsv").write_text("\n".join(rows) + "\n")
    must = sum(1 for r in rows[1:] if "\tmust\t" in r)
    kinds = {r.split("\t")[4] for r in rows[1:] if "\tmust\t" in r}
    print(f"{len(FILES)} files, {must} secrets of {len(kinds)} types, {len(rows) - 1 - must} look-alikes")


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent)
    write()
