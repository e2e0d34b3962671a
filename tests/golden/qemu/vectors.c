/* Minimal Cortex-M boot for the QEMU golden test: initial SP and reset vector (newlib's
   rdimon crt0 `_start`, semihosting I/O and exit). Test support only, not firmware. */
extern void _start(void);
__attribute__((section(".vectors"), used)) void *const ped_test_vectors[2] = {
    (void *)0x20040000, (void *)_start};
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}
