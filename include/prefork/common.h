/*
 * libprefork: common definitions.
 *
 * Versions with the same PF_VERSION_MAJOR are ABI compatible; the soname
 * (libprefork.so.MAJOR) changes whenever the major number does.  During 0.x
 * any change to a public struct layout also bumps the minor number and is
 * called out in NEWS.
 */
#ifndef PREFORK_COMMON_H
#define PREFORK_COMMON_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
# define PF_API  __attribute__((visibility("default")))
#else
# define PF_API
#endif

#define PF_VERSION_MAJOR  0
#define PF_VERSION_MINOR  1
#define PF_VERSION_PATCH  0
#define PF_VERSION_HEX    ((PF_VERSION_MAJOR << 16) | (PF_VERSION_MINOR << 8) \
                           | PF_VERSION_PATCH)

/* The PF_VERSION_HEX the library was built with (compare with the header's). */
PF_API unsigned pf_version(void);

/* A worker exiting with one of these before it booted (before ops->run was
 * entered) halts the arbiter with the same status instead of being
 * respawned: gunicorn's WORKER_BOOT_ERROR and APP_LOAD_ERROR. */
#define PF_EXIT_BOOT     3
#define PF_EXIT_APPLOAD  4

#ifdef __cplusplus
}
#endif

#endif /* PREFORK_COMMON_H */
