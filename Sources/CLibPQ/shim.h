#ifndef VEERKRACHT_CLIBPQ_SHIM_H
#define VEERKRACHT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
