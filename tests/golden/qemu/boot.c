/* Minimal Cortex-M boot for the kernel tests and benchmark on QEMU mps2-an385/an386: initial SP and a
   reset handler that grants the FPU (CPACR, 0xE000ED88, CP10/CP11 full access, bits 20-23:
   ARMv7-M Architecture Reference Manual B3.2.20; harmless on the M3, where the bits read 0)
   and enters newlib's rdimon crt0 `_start` (semihosting I/O and exit). Test and benchmark support
   (tests/golden/qemu_ops.py, benchmarks/kernels.py), not firmware. */
#include <stdint.h>

extern void _start(void);
void ped_bench_reset(void);
void ped_bench_reset(void) {
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
    _start();
}
__attribute__((section(".vectors"), used)) void *const ped_bench_vectors[2] = {
    (void *)0x20040000, (void *)ped_bench_reset};
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}
