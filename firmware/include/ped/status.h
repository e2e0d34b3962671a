/*
 * ped/status.h - error codes and stop reasons, each built from ONE X-macro table so the enum
 * and its strings cannot drift apart. Strings: ped_status_str(), ped_stop_str().
 *
 * Kept apart as in Zephyr's drivers: PED_ERR_NOT_IMPLEMENTED = this port has not written it
 * (the hardware could), PED_ERR_NOT_SUPPORTED = this board cannot do it at all.
 */
#ifndef PED_STATUS_H
#define PED_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(enum name, short string, meaning) */
#define PED_STATUS_TABLE(X)                                                              \
    X(PED_OK, "ok", "success")                                                           \
    X(PED_ERR_ARG, "bad_argument", "a null pointer or out-of-range argument")            \
    X(PED_ERR_MODEL, "bad_model", "the stage table is inconsistent (0 stages, <2 classes)") \
    X(PED_ERR_CLASSES, "too_many_classes", "n_classes exceeds PED_MAX_CLASSES")          \
    X(PED_ERR_ARENA, "arena_too_small", "the arena is smaller than model.arena_bytes")   \
    X(PED_ERR_BUSY, "busy", "the resource is already in use")                           \
    X(PED_ERR_NOT_IMPLEMENTED, "not_implemented", "this port does not implement the call") \
    X(PED_ERR_NOT_SUPPORTED, "not_supported", "this board has no such hardware")

/* X(enum name, short string, meaning) */
#define PED_STOP_TABLE(X)                                                                \
    X(PED_STOP_ALL, "all", "every requested stage completed")                           \
    X(PED_STOP_DEADLINE, "deadline", "the deadline timer fired")                         \
    X(PED_STOP_BATTERY, "battery", "the battery-low interrupt fired")                    \
    X(PED_STOP_CONFIDENT, "confident", "the margin reached the exit threshold")          \
    X(PED_STOP_ADMISSION, "admission", "the next stage's profiled cost did not fit the time left")

#define PED_X_ENUM(name, str, doc) name,

typedef enum { PED_STATUS_TABLE(PED_X_ENUM) PED_STATUS_COUNT } ped_status_t;
typedef enum { PED_STOP_TABLE(PED_X_ENUM) PED_STOP_COUNT } ped_stop_t;

/* The short string of a code ("ok", "deadline", ...); "?" when out of range. Never NULL. */
const char *ped_status_str(ped_status_t status);
const char *ped_stop_str(ped_stop_t reason);

#ifdef __cplusplus
}
#endif

#endif /* PED_STATUS_H */
