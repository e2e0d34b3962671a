/*
 * ped/model.h - the contract between generated model code and the firmware.
 *
 * `ped codegen` emits, per run, one C file per student plus `ped_model.c/.h` that define
 * `const ped_model_t ped_model`. The scheduler only ever sees this table: it never knows the
 * layers inside a stage.
 *
 * Memory: the application owns one arena of `ped_model.arena_bytes` bytes (16-byte aligned)
 * and passes it to every stage. The generated memory plan places, inside it, the tensors that
 * must live across stages (connection tensors read by later students) in a persistent region,
 * and every stage's scratch tensors in a region shared by all stages.
 *
 * Fixed-point ensemble aggregation (identical to pipeline/aggregate.py, bit for bit):
 *   stage k emits int8 logits q_k[j] with zero point z_k; codegen chooses one accumulator
 *   scale S and an integer multiplier m_k = round(alpha_k * s_k / S), 1 <= m_k <= 32767,
 *   where s_k is the logit scale and alpha_k the stage's aggregation weight;
 *   acc[j] += m_k * (q_k[j] - z_k)          (int32; |term| < 2^23, so <= 255 stages is safe)
 *   class  = argmax_j acc[j]                (lowest j on ties)
 *   margin = acc[class] - max_{j != class} acc[j]   (>= 0, in units of S)
 * An exit threshold is given in the same integer units as the margin.
 */
#ifndef PED_MODEL_H
#define PED_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Per-layer timing hook: generated stage code calls PED_LAYER_DONE(layer) after each kernel
 * call. It compiles to nothing, except in the profiling program (built with
 * -DPED_PROFILE_LAYERS), which records a timestamp per layer.
 */
#ifdef PED_PROFILE_LAYERS
void ped_profile_layer_done(uint16_t layer);
#define PED_LAYER_DONE(layer) ped_profile_layer_done(layer)
#else
#define PED_LAYER_DONE(layer) ((void)0)
#endif

typedef enum {
    PED_STAGE_DONE = 0,    /* logits written */
    PED_STAGE_ABORTED = 1  /* abort flag seen between layers; logits untouched */
} ped_stage_status_t;

/*
 * Run one student. `input` is the int8 model input (ped_model.input_len elements), `arena`
 * the shared arena, `logits` receives n_classes int8 values. The function checks
 * `*abort_flag` between layers and returns PED_STAGE_ABORTED as soon as it is non-zero.
 */
typedef ped_stage_status_t (*ped_stage_fn)(const int8_t *input, uint8_t *arena, int8_t *logits,
                                           volatile const uint8_t *abort_flag);

typedef struct {
    ped_stage_fn run;
    const char *name;          /* e.g. "stage_01" */
    uint32_t cost_cycles;      /* profiled cost on the build's target in its cost unit (board.h:
                                  cycles, or instructions on QEMU), 0 when unknown */
    uint32_t macs;             /* multiply-accumulates of this stage */
    int32_t logit_zero_point;  /* z_k */
    int32_t agg_multiplier;    /* m_k, see above */
    uint16_t n_layers;         /* kernel calls in this stage (abort checks between them) */
} ped_stage_t;

typedef struct {
    uint16_t n_stages;
    uint16_t n_classes;
    uint32_t input_len;          /* int8 elements of the input tensor */
    int32_t input_zero_point;    /* input quantization: real = scale * (q - zero_point) */
    uint32_t arena_bytes;        /* bytes the application must provide */
    uint16_t default_class;      /* the "stage 0" answer: most frequent training class */
    const ped_stage_t *stages;   /* n_stages entries, in order */
    const uint8_t *bundle_hash;  /* 32 bytes: sha256 over the stage .tflite files */
    /* text mode (EEMBC / MLPerf Tiny, docs/protocol.md): class probabilities from the final
     * accumulator (ped/probability.h) use S * log2(e) = prob_multiplier * 2^-prob_shift */
    int32_t prob_multiplier;     /* 2^14 .. 2^15 - 1; 0 = unknown (no probabilities) */
    uint8_t prob_shift;          /* >= 16 */
    const char *key;             /* model key a benchmark runner selects its test by: a plain
                                  * identifier ([A-Za-z_][A-Za-z0-9_]*), e.g. the dataset name;
                                  * NULL = "ped" */
} ped_model_t;

#ifdef __cplusplus
}
#endif

#endif /* PED_MODEL_H */
