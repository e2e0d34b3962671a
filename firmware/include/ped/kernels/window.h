/* window.h - where a sliding window (conv, pool) lies on its input along one axis. */
#ifndef PED_KERNELS_WINDOW_H
#define PED_KERNELS_WINDOW_H

#include <stdint.h>

/* Output position o's window starts at input index `start` = o * stride - pad; its taps
   lo <= f < hi (of 0..k-1) are the ones inside the input (0 <= start + f < in). */
typedef struct {
    int32_t start, lo, hi;
} ped_window_t;

static inline ped_window_t ped_window(int32_t o, int32_t stride, int32_t pad, int32_t k,
                                      int32_t in) {
    ped_window_t w;
    w.start = o * stride - pad;
    w.lo = w.start < 0 ? -w.start : 0;
    w.hi = k < in - w.start ? k : in - w.start;
    return w;
}

#endif
