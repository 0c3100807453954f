#ifndef CLIBCRYPTO_SHIM_H
#define CLIBCRYPTO_SHIM_H
// The system's OpenSSL 3 libcrypto (libssl-dev), for the national algorithms (SM2, SM3, SM4) that
// the BoringSSL bundled by swift-nio-ssl and swift-crypto lacks. Its symbols are OpenSSL's own
// names; the bundled copies are prefixed (CNIOBoringSSL_, CCryptoBoringSSL_), so both link into
// one binary without a clash.
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

/// BIO_get_mem_data is a macro, which Swift cannot call.
static inline long clibcrypto_bio_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

#endif
