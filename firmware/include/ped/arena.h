/*
 * ped/arena.h - how many arena bytes the application reserves for the built-in model.
 * The generated ped_model.h defines PED_MODEL_ARENA_BYTES (exactly the memory plan's size);
 * without it the application reserves PED_ARENA_CAPACITY (default 16 KB) and
 * ped_scheduler_init() refuses a model that needs more (PED_ERR_ARENA).
 */
#ifndef PED_ARENA_H
#define PED_ARENA_H

#include "ped_model.h"

#if defined(PED_MODEL_ARENA_BYTES)
#define PED_ARENA_BYTES PED_MODEL_ARENA_BYTES
#else
#ifndef PED_ARENA_CAPACITY
#define PED_ARENA_CAPACITY 16384u
#endif
#define PED_ARENA_BYTES PED_ARENA_CAPACITY
#endif

#endif /* PED_ARENA_H */
