/* test model whose stage_01 (300 KB of weights) overflows qemu-m4 flash; see test_firmware_build.py */
#ifndef PED_MODEL_H_GEN
#define PED_MODEL_H_GEN
#include "ped/model.h"
#define PED_MODEL_ARENA_BYTES 1024u
extern const ped_model_t ped_model;
#endif
