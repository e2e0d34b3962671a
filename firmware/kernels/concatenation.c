/* concatenation.c - see ped/kernels/concatenation.h. */
#include "ped/kernels/concatenation.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

void ped_concatenation(const ped_concatenation_params_t *p, const int8_t *const *inputs,
                       int8_t *output) {
    assert(p != NULL && inputs != NULL && output != NULL);
    int8_t *out = output;
    for (int32_t r = 0; r < p->outer; ++r) {
        for (int32_t i = 0; i < p->n_inputs; ++i) {
            const size_t n = (size_t)p->chunk[i];
            memcpy(out, inputs[i] + (size_t)r * n, n);
            out += n;
        }
    }
}
