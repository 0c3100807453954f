#!/usr/bin/env bash
# Makes the client certificates of the TLS scenario's matrix with the openssl command line: one per
# field a CA can get wrong, each for the subject the test bank's contract binds (by subject).
#
#   Tests/Faults/certificate-matrix.sh OUT CA.pem CA-KEY.pem
#
# Writes OUT/<name>.pem and OUT/<name>-key.pem and prints one line per certificate:
#   <name> <accept|refuse> <what is wrong with it, or nothing>
# A certificate openssl cannot make here (a digest this build refuses) is left out with a note on
# standard error.
set -euo pipefail
out=$1 ca=$2 cakey=$3
mkdir -p "$out/ca/new"
: >"$out/ca/index.txt"
echo 1000 >"$out/ca/serial"
subject="/C=CN/O=Faults Matrix Bank/CN=faults-matrix"

cat >"$out/ca.cnf" <<EOF
[ ca ]
default_ca = matrix
[ matrix ]
dir = $out/ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[ anything ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
[ req ]
distinguished_name = dn
[ dn ]
EOF

# extensions NAME LINES...: an extension section for `openssl ca -extfile`.
extensions() {
  local file=$out/$1.ext; shift
  { echo "[ v3 ]"; printf '%s\n' "$@"; } >"$file"
  echo "$file"
}
good=(basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature extendedKeyUsage=clientAuth)

# make NAME EXPECT WHY KEYSPEC DIGEST START END SUBJECT [EXTENSION LINES...|-]
make() {
  local name=$1 expect=$2 why=$3 keyspec=$4 digest=$5 start=$6 end=$7 subj=$8; shift 8
  local key=$out/$name-key.pem csr=$out/$name.csr
  case $keyspec in
    ec:*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"${keyspec#ec:}" -out "$key" 2>/dev/null ;;
    rsa:*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"${keyspec#rsa:}" -out "$key" 2>/dev/null ;;
  esac
  openssl req -new -key "$key" -subj "$subj" -config "$out/ca.cnf" -out "$csr" 2>/dev/null
  local ext=()
  if [ $# -eq 0 ]; then set -- "${good[@]}"; fi
  if [ "$1" != "-" ]; then ext=(-extfile "$(extensions "$name" "$@")" -extensions v3); fi
  if openssl ca -batch -config "$out/ca.cnf" -cert "$ca" -keyfile "$cakey" -in "$csr" -out "$out/$name.pem" -notext -preserveDN \
      -md "$digest" -startdate "$start" -enddate "$end" "${ext[@]}" >"$out/$name.log" 2>&1; then
    echo "$name $expect $why"
  else
    echo "certificate-matrix: could not make $name: $(tail -1 "$out/$name.log")" >&2
  fi
}

now=$(date -u +%Y%m%d%H%M%SZ)
year=$(date -u -d '+1 year' +%Y%m%d%H%M%SZ)
make good-ec-p256 accept "" ec:P-256 sha256 "$now" "$year" "$subject"
make good-ec-p384-sha384 accept "" ec:P-384 sha384 "$now" "$year" "$subject"
make good-rsa-2048 accept "" rsa:2048 sha256 "$now" "$year" "$subject"
make no-key-usage accept "key usage absent (optional)" ec:P-256 sha256 "$now" "$year" "$subject" \
  basicConstraints=critical,CA:FALSE extendedKeyUsage=clientAuth
make expired refuse "validity ended (2021)" ec:P-256 sha256 20200101000000Z 20210101000000Z "$subject"
make not-yet-valid refuse "validity starts in 2036" ec:P-256 sha256 20360101000000Z 20370101000000Z "$subject"
make ca-flag refuse "basicConstraints CA:TRUE" ec:P-256 sha256 "$now" "$year" "$subject" \
  basicConstraints=critical,CA:TRUE keyUsage=critical,digitalSignature,keyCertSign extendedKeyUsage=clientAuth
make eku-server-only refuse "EKU serverAuth only" ec:P-256 sha256 "$now" "$year" "$subject" \
  basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature extendedKeyUsage=serverAuth
make critical-eku accept "EKU clientAuth marked critical (RFC 5280 allows it)" ec:P-256 sha256 "$now" "$year" "$subject" \
  basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature extendedKeyUsage=critical,clientAuth
make no-eku refuse "no extended key usage" ec:P-256 sha256 "$now" "$year" "$subject" \
  basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature
make key-usage-no-signature refuse "key usage keyAgreement only (cannot sign the handshake)" ec:P-256 sha256 "$now" "$year" "$subject" \
  basicConstraints=critical,CA:FALSE keyUsage=critical,keyAgreement extendedKeyUsage=clientAuth
make unknown-critical-extension refuse "an unknown critical extension" ec:P-256 sha256 "$now" "$year" "$subject" \
  "${good[@]}" "1.3.6.1.4.1.55555.1=critical,ASN1:UTF8String:unknown"
make version-1 refuse "X.509 v1 (no extensions)" ec:P-256 sha256 "$now" "$year" "$subject" -
make rsa-1024 refuse "RSA key of 1024 bits" rsa:1024 sha256 "$now" "$year" "$subject"
make sha1-signature refuse "signed with SHA-1" rsa:2048 sha1 "$now" "$year" "$subject"
make other-subject refuse "another CN" ec:P-256 sha256 "$now" "$year" "/C=CN/O=Faults Matrix Bank/CN=someone-else"
make extra-ou refuse "an extra OU in the subject" ec:P-256 sha256 "$now" "$year" "/C=CN/O=Faults Matrix Bank/OU=branch/CN=faults-matrix"
make reversed-subject refuse "the subject's attributes in the reverse order" ec:P-256 sha256 "$now" "$year" "/CN=faults-matrix/O=Faults Matrix Bank/C=CN"

# Not by the partner CA: the same subject, self-signed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subject" -days 30 \
  -addext extendedKeyUsage=clientAuth -keyout "$out/self-signed-key.pem" -out "$out/self-signed.pem" 2>/dev/null \
  && echo "self-signed refuse not issued by the partner CA"
# Issued properly, then revoked (the scenario revokes it with credit-broker pki revoke).
make revoked refuse "revoked on the partner CA's CRL" ec:P-256 sha256 "$now" "$year" "$subject"
