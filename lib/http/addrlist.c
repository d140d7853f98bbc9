/*
 * Address allow lists (forwarded_allow_ips, proxy_allow_ips): "*", IPs and
 * CIDR networks, with Python ip_network's strictness (no host bits set).
 * An IPv4-mapped IPv6 peer is not an IPv4 address here, as in gunicorn.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "http.h"

#define ENTRY_MAX  64


static int
parse_entry(pfh_addrnet *net, const char *s, size_t n)
{
    char         tmp[ENTRY_MAX];
    char        *slash;
    unsigned     prefix, max, i;
    const char  *d;

    if (n == 0 || n >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    slash = strchr(tmp, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    memset(net, 0, sizeof(*net));
    if (inet_pton(AF_INET, tmp, net->addr) == 1) {
        net->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, tmp, net->addr) == 1) {
        net->family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    prefix = max;
    if (slash != NULL) {
        d = slash + 1;
        if (*d == '\0' || strlen(d) > 3) {
            return -1;
        }
        prefix = 0;
        for ( ; *d; d++) {
            if (*d < '0' || *d > '9') {
                return -1;
            }
            prefix = prefix * 10 + (unsigned) (*d - '0');
        }
        if (prefix > max) {
            return -1;
        }
    }
    net->prefix = prefix;
    /* strict: the host part must be zero */
    for (i = prefix; i < max; i++) {
        if (net->addr[i / 8] & (0x80u >> (i % 8))) {
            return -1;
        }
    }
    return 0;
}


int
pfh_addrlist_parse(pfh_addrlist *l, const char *spec, const char **bad)
{
    const char  *p, *e, *s, *t;
    size_t       cap = 0;

    memset(l, 0, sizeof(*l));
    if (spec == NULL) {
        return 0;
    }
    for (p = spec; *p; p++) {
        cap += *p == ',';
    }
    l->nets = calloc(cap + 1, sizeof(*l->nets));
    if (l->nets == NULL) {
        errno = ENOMEM;
        return -1;
    }
    p = spec;
    for ( ;; ) {
        e = strchr(p, ',');
        t = e ? e : p + strlen(p);
        for (s = p; s < t && (*s == ' ' || *s == '\t'); s++) { /* void */ }
        while (t > s && (t[-1] == ' ' || t[-1] == '\t')) {
            t--;
        }
        if (t - s == 1 && *s == '*') {
            l->any = 1;
        } else if (t > s) {
            if (parse_entry(&l->nets[l->n], s, (size_t) (t - s)) != 0) {
                if (bad != NULL) {
                    *bad = s;
                }
                pfh_addrlist_free(l);
                errno = EINVAL;
                return -1;
            }
            l->n++;
        }
        if (e == NULL) {
            break;
        }
        p = e + 1;
    }
    return 0;
}


void
pfh_addrlist_free(pfh_addrlist *l)
{
    free(l->nets);
    l->nets = NULL;
    l->n = 0;
    l->any = 0;
}


static int
in_net(const pfh_addrnet *net, const uint8_t *a)
{
    unsigned  full, rest;

    full = net->prefix / 8;
    rest = net->prefix % 8;
    if (memcmp(net->addr, a, full) != 0) {
        return 0;
    }
    if (rest == 0) {
        return 1;
    }
    return ((net->addr[full] ^ a[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}


int
pfh_addrlist_match(const pfh_addrlist *l, const struct sockaddr *sa)
{
    const uint8_t  *a;
    size_t          i;
    int             family;

    family = sa->sa_family;
    if (family == AF_UNIX) {
        return 1;
    }
    if (l->any) {
        return 1;
    }
    if (family == AF_INET) {
        a = (const uint8_t *) &((const struct sockaddr_in *) sa)->sin_addr;
    } else if (family == AF_INET6) {
        a = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
    } else {
        return 0;
    }
    for (i = 0; i < l->n; i++) {
        if (l->nets[i].family == family && in_net(&l->nets[i], a)) {
            return 1;
        }
    }
    return 0;
}
