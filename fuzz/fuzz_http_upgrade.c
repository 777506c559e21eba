/*
 * fuzz_http_upgrade.c - the HTTP side of the WebSocket handshake
 * (core/http_upgrade.h).
 *
 * Input: a header block, parsed as a request and as a response, in a buffer
 * of exactly its size. Then the properties the caller (core/handshake.c) relies
 * on when it collects a block as segments arrive:
 *   - OK says where the block ends, inside the buffer;
 *   - every prefix shorter than that block is INCOMPLETE or MALFORMED,
 *     never OK (the block cannot be declared whole early);
 *   - a malformed prefix stays malformed with more bytes (the caller gives
 *     up at the first MALFORMED, so a later OK would have been lost);
 *   - every string out is NUL-terminated within its field.
 * The input is also split at its first NUL into a key and an accept value
 * for http_ws_accept_matches, and into a list and a token for
 * http_token_list_contains.
 */
#include <string.h>

#include "fuzz_target.h"
#include "http_upgrade.h"

#define STR_OK(field) FUZZ_ASSERT(memchr((field), '\0', sizeof(field)) != NULL)

static http_parse_result request(const uint8_t *buf, size_t len, size_t *header_len)
{
    uint8_t *copy = fuzz_exact_copy(buf, len);
    http_upgrade_request r;
    memset(&r, 0x55, sizeof r);
    size_t hl = 0;
    http_parse_result res = http_parse_request(copy, len, &r, &hl);
    FUZZ_ASSERT(res == HTTP_PARSE_OK || res == HTTP_PARSE_INCOMPLETE ||
                res == HTTP_PARSE_MALFORMED);
    if (res == HTTP_PARSE_OK) {
        FUZZ_ASSERT(hl > 0 && hl <= len);
        STR_OK(r.target);
        STR_OK(r.key);
        STR_OK(r.protocols);
        STR_OK(r.extensions);
        *header_len = hl;
    }
    free(copy);
    return res;
}

static http_parse_result response(const uint8_t *buf, size_t len, size_t *header_len)
{
    uint8_t *copy = fuzz_exact_copy(buf, len);
    http_upgrade_response r;
    memset(&r, 0x55, sizeof r);
    size_t hl = 0;
    http_parse_result res = http_parse_response(copy, len, &r, &hl);
    FUZZ_ASSERT(res == HTTP_PARSE_OK || res == HTTP_PARSE_INCOMPLETE ||
                res == HTTP_PARSE_MALFORMED);
    if (res == HTTP_PARSE_OK) {
        FUZZ_ASSERT(hl > 0 && hl <= len);
        FUZZ_ASSERT(r.status >= 100 && r.status <= 999);
        STR_OK(r.accept);
        STR_OK(r.protocol);
        STR_OK(r.extensions);
        *header_len = hl;
    }
    free(copy);
    return res;
}

/* The prefix properties above, for one parser. Prefixes are checked at a
 * few lengths only: all of them would make each input quadratic. */
static void prefixes(http_parse_result (*parse)(const uint8_t *, size_t, size_t *),
                     const uint8_t *data, size_t size)
{
    size_t block = 0;
    http_parse_result whole = parse(data, size, &block);
    if (whole == HTTP_PARSE_OK) {
        size_t again = 0;
        /* The block alone parses to itself. */
        FUZZ_ASSERT(parse(data, block, &again) == HTTP_PARSE_OK && again == block);
        size_t cuts[] = {block - 1, block / 2, block > 2 ? block - 2 : 0};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            size_t ignored = 0;
            FUZZ_ASSERT(parse(data, cuts[i], &ignored) != HTTP_PARSE_OK);
        }
    } else if (whole == HTTP_PARSE_INCOMPLETE) {
        /* Nothing shorter may already be malformed: the caller would have
         * given up on a stream that turns out fine. */
        size_t ignored = 0;
        FUZZ_ASSERT(parse(data, size / 2, &ignored) != HTTP_PARSE_MALFORMED);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prefixes(request, data, size);
    prefixes(response, data, size);
    (void)http_looks_like_request(data, size);

    /* Two C strings from the input, split at its first NUL. */
    char *text = malloc(size + 2);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    text[size + 1] = '\0';
    const char *first = text;
    const char *second = text + strlen(text) + 1;
    (void)http_ws_accept_matches(first, second);
    (void)http_token_list_contains(first, second);
    (void)http_token_list_contains(second, first);
    free(text);
    return 0;
}
