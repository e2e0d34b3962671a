/* probability_driver.c - test driver: reads "multiplier shift n acc_0 .. acc_n-1" lines from
 * stdin and prints ped_probabilities()' thousandths (tests/firmware/test_probability.py). */
#include <stdio.h>

#include "ped/probability.h"

int main(void)
{
    long mult;
    unsigned shift, n;
    while (scanf("%ld %u %u", &mult, &shift, &n) == 3 && n <= 64u) {
        int32_t acc[64];
        uint16_t p[64];
        for (unsigned j = 0; j < n; j++) {
            long v;
            if (scanf("%ld", &v) != 1) {
                return 1;
            }
            acc[j] = (int32_t)v;
        }
        int ok = ped_probabilities(acc, (uint16_t)n, (int32_t)mult, (uint8_t)shift, p);
        printf("%d", ok);
        for (unsigned j = 0; j < n; j++) {
            printf(" %u", (unsigned)p[j]);
        }
        printf("\n");
    }
    return 0;
}
