/* keylog_shim.c: LD_PRELOAD library that makes an OpenSSL 3.0 client write its TLS secrets in the
 * NSS key log format, for the held-out TLS captures (tests/heldout/make-tls.sh).
 *
 * OpenSSL 3.0 (Debian 12) has no SSLKEYLOGFILE support of its own, and libmosquitto (mosquitto_pub,
 * mosquitto_sub) has no key log option. This library wraps SSL_new() to install a key log callback
 * (SSL_CTX_set_keylog_callback, public OpenSSL API) on the connection's context, SSL_connect() to
 * report what the client negotiated once the handshake is done, and connect()/close() to report the
 * client's local port (also without TLS):
 *
 *   SSLKEYLOGFILE=FILE      the key log lines are appended to FILE
 *   MQTTKA_SHIM_LOG=FILE    lines appended to FILE, each "<epoch> WHAT ...":
 *                           "TCP_CONNECT local_addr=A local_port=P remote_port=R" after connect(),
 *                           "TLS_INFO local_port=P version=V cipher=NAME cipher_id=0xHHHH sni=NAME"
 *                           once a handshake is done, "TCP_CLOSE local_port=P" when that socket is closed
 *   MQTTKA_EXIT_ON_CLOSE=1  the process exits (status 0) right after closing a socket it connected:
 *                           libmosquitto reconnects at once after giving up a connection, and the
 *                           held-out captures want only the connection that gave up
 *
 * It also makes stdout line-buffered, so that `mosquitto_sub -d` lines reach a pipe as they happen.
 * Build: cc -shared -fPIC -O2 -Wall -o keylog_shim.so keylog_shim.c -ldl -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int tracked_fd[64];
static int n_tracked;

static void append_line(const char *env, const char *line)
{
    const char *path = getenv(env);
    if (path == NULL || *path == '\0')
        return;
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return;
    fprintf(f, "%s\n", line);
    fclose(f);
}

__attribute__((format(printf, 1, 2))) static void shim_log(const char *fmt, ...)
{
    struct timeval tv;
    char body[256], line[320];
    va_list ap;
    gettimeofday(&tv, NULL);
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%ld.%06ld %s", (long)tv.tv_sec, (long)tv.tv_usec, body);
    append_line("MQTTKA_SHIM_LOG", line);
}

static int local_port_of(int fd, char *addr, size_t addrlen)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    if (sa.ss_family == AF_INET6) {
        if (addr)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, addr, (socklen_t)addrlen);
        return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    }
    if (sa.ss_family == AF_INET) {
        if (addr)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, addr, (socklen_t)addrlen);
        return ntohs(((struct sockaddr_in *)&sa)->sin_port);
    }
    return -1;
}

int connect(int fd, const struct sockaddr *to, socklen_t tolen)
{
    static int (*real_connect)(int, const struct sockaddr *, socklen_t);
    if (real_connect == NULL)
        real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    int rc = real_connect(fd, to, tolen);
    if (to != NULL && (to->sa_family == AF_INET || to->sa_family == AF_INET6)) {
        char addr[64] = "";
        int lp = local_port_of(fd, addr, sizeof addr);
        int rp = to->sa_family == AF_INET ? ntohs(((const struct sockaddr_in *)to)->sin_port)
                                          : ntohs(((const struct sockaddr_in6 *)to)->sin6_port);
        shim_log("TCP_CONNECT local_addr=%s local_port=%d remote_port=%d", addr, lp, rp);
        if (n_tracked < 64)
            tracked_fd[n_tracked++] = fd;
    }
    return rc;
}

int close(int fd)
{
    static int (*real_close)(int);
    if (real_close == NULL)
        real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    int i, lp = -1, was_tracked = 0;
    for (i = 0; i < n_tracked; i++) {
        if (tracked_fd[i] == fd) {
            was_tracked = 1;
            lp = local_port_of(fd, NULL, 0);
            tracked_fd[i] = tracked_fd[--n_tracked];
            break;
        }
    }
    int rc = real_close(fd);
    if (was_tracked) {
        shim_log("TCP_CLOSE local_port=%d", lp);
        const char *e = getenv("MQTTKA_EXIT_ON_CLOSE");
        if (e != NULL && *e == '1') {
            shim_log("EXIT_ON_CLOSE local_port=%d", lp);
            _exit(0);
        }
    }
    return rc;
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    append_line("SSLKEYLOGFILE", line);
}

__attribute__((constructor)) static void shim_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

SSL *SSL_new(SSL_CTX *ctx)
{
    static SSL *(*real_new)(SSL_CTX *);
    if (real_new == NULL)
        real_new = (SSL * (*)(SSL_CTX *)) dlsym(RTLD_NEXT, "SSL_new");
    /* a program with a key log of its own (openssl s_client -keylogfile) keeps it */
    if (ctx != NULL && SSL_CTX_get_keylog_callback(ctx) == NULL)
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    return real_new(ctx);
}

int SSL_connect(SSL *ssl)
{
    static int (*real_connect)(SSL *);
    if (real_connect == NULL)
        real_connect = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
    int rc = real_connect(ssl);
    if (rc == 1) {
        int port = local_port_of(SSL_get_fd(ssl), NULL, 0);
        const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
        const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        shim_log("TLS_INFO local_port=%d version=%s cipher=%s cipher_id=0x%04x sni=%s", port, SSL_get_version(ssl),
                 c ? SSL_CIPHER_get_name(c) : "none", c ? (unsigned)SSL_CIPHER_get_protocol_id(c) : 0u, sni ? sni : "");
    }
    return rc;
}
