/* ped_model.h - the demo model (fake stages) used when no generated model is given. The
 * generated ped_model.h from `ped codegen` has the same shape: PED_MODEL_ARENA_BYTES and the
 * `ped_model` table. */
#ifndef PED_MODEL_DEMO_H
#define PED_MODEL_DEMO_H

#include "ped/model.h"

#define PED_MODEL_ARENA_BYTES 64u

extern const ped_model_t ped_model;

#endif
