#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
#include <libpq-fe.h>
#ifdef __linux__
/* PostgresReplyWaiter watches the connections' sockets with epoll. */
#include <sys/epoll.h>
#endif
#endif
