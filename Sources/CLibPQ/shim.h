#ifndef VEERKRACHT_CLIBPQ_SHIM_H
#define VEERKRACHT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
// PostgresLibPQ drives libpq's non-blocking API and waits for its sockets with epoll, which
// Swift's Glibc module does not export.
#include <sys/epoll.h>
#endif
