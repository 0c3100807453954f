#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
#include <libpq-fe.h>
#ifdef __linux__
/* PostgresReplyWaiter watches the connections' sockets with epoll, and is woken for tasks to run
   through an eventfd. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
/* Names the calling thread as `top -H`, `perf` and /proc show it (at most 15 bytes are kept). */
static inline void credit_broker_name_this_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
#endif
#endif
