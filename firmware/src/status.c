/* status.c - strings for ped/status.h, generated from the same X-macro tables as the enums. */
#include "ped/status.h"

#define PED_X_STR(name, str, doc) str,

static const char *const status_names[PED_STATUS_COUNT] = {PED_STATUS_TABLE(PED_X_STR)};
static const char *const stop_names[PED_STOP_COUNT] = {PED_STOP_TABLE(PED_X_STR)};

const char *ped_status_str(ped_status_t status)
{
    return ((unsigned)status < PED_STATUS_COUNT) ? status_names[status] : "?";
}

const char *ped_stop_str(ped_stop_t reason)
{
    return ((unsigned)reason < PED_STOP_COUNT) ? stop_names[reason] : "?";
}
