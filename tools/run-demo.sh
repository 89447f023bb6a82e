#!/usr/bin/env bash
# tools/run-demo.sh: what `make run` does after building: create ./var (a
# config for domain localhost and a demo account) if absent, print how to
# reach the server, and run it in the foreground.
set -eu
cd "$(dirname "$0")/.."
conf=var/buzon.conf
if [ ! -f "$conf" ]; then
	./buzon init var --domain localhost --hostname localhost >/dev/null
	head -c 12 /dev/urandom | base64 | tr -d '/+=' > var/demo-password
	./buzon -c "$conf" user add demo@localhost < var/demo-password >/dev/null
fi
pw=$(cat var/demo-password 2>/dev/null || echo "(see var/demo-password)")
if ! grep -q '^http *=' "$conf"; then
	web="  (no webmail: $conf predates it; add http and https as in README.md)
"
else
	web="  http                127.0.0.1:8080   webmail + JMAP: http://127.0.0.1:8080/
  https               127.0.0.1:8443   webmail + JMAP over TLS
"
fi
cat <<MSG

buzon demo server (config: $conf, data: var/data)
  SMTP (MX)           127.0.0.1:2525   mail for @localhost, no relay
  submission          127.0.0.1:2587   STARTTLS, then AUTH
  submissions         127.0.0.1:2465   implicit TLS, then AUTH
  imap                127.0.0.1:2143   STARTTLS, then LOGIN or AUTHENTICATE
  imaps               127.0.0.1:2993   implicit TLS
  pop3                127.0.0.1:2110   STLS, then USER/PASS or AUTH
  pop3s               127.0.0.1:2995   implicit TLS
$web  account             demo@localhost   password: $pw
  (the TLS certificate is self-signed: tell your client to accept it)

Try:  swaks --server 127.0.0.1:2525 --to demo@localhost
      ./buzon -c $conf export demo@localhost --mbox -
Stop with Ctrl-C.

MSG
exec ./buzon -c "$conf" serve
