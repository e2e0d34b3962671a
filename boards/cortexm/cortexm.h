/*
 * cortexm.h - ARMv6-M/ARMv7-M core helpers shared by the Cortex-M boards (header only, no
 * state: each board keeps its own). Interrupt masking, NVIC, reset, and a 64-bit cycle
 * counter made of SysTick (24 bits at the core clock) plus a wrap count kept by the board's
 * SysTick_Handler. Written from the ARMv7-M and ARMv6-M Architecture Reference Manuals (B3.4
 * NVIC: ISER/ISPR/ICPR at 0xE000E100/200/280, one bit per IRQ, 32 IRQs per register; B3.3
 * SysTick); everything here also exists on ARMv6-M (Cortex-M0/M0+).
 */
#ifndef PED_CORTEXM_H
#define PED_CORTEXM_H

#include <stdint.h>

#define CM_REG32(addr) (*(volatile uint32_t *)(addr))
#define CM_SYST_CSR CM_REG32(0xE000E010u)
#define CM_SYST_RVR CM_REG32(0xE000E014u)
#define CM_SYST_CVR CM_REG32(0xE000E018u)
/* NVIC set-enable / set-pending / clear-pending: one 32-bit register per 32 IRQs */
#define CM_NVIC_ISER(irq) CM_REG32(0xE000E100u + 4u * ((irq) >> 5))
#define CM_NVIC_ISPR(irq) CM_REG32(0xE000E200u + 4u * ((irq) >> 5))
#define CM_NVIC_ICPR(irq) CM_REG32(0xE000E280u + 4u * ((irq) >> 5))
#define CM_SCB_ICSR CM_REG32(0xE000ED04u)
#define CM_SCB_AIRCR CM_REG32(0xE000ED0Cu)
#define CM_SCB_CPACR CM_REG32(0xE000ED88u)
#define CM_ICSR_PENDSTSET (1u << 26)
/* ARMv7-M only (Cortex-M3/M4/M7; ARMv7-M ARM C1.6.5 DEMCR, C1.8 DWT): the cycle counter */
#define CM_DEMCR CM_REG32(0xE000EDFCu)
#define CM_DEMCR_TRCENA (1u << 24)
#define CM_DWT_CTRL CM_REG32(0xE0001000u)
#define CM_DWT_CTRL_CYCCNTENA (1u << 0)
#define CM_DWT_CYCCNT CM_REG32(0xE0001004u)

static inline uint32_t cm_irq_save(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void cm_irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

static inline void cm_nvic_enable(uint32_t irq) { CM_NVIC_ISER(irq) = 1u << (irq & 31u); }
static inline void cm_nvic_set_pending(uint32_t irq) { CM_NVIC_ISPR(irq) = 1u << (irq & 31u); }
static inline void cm_nvic_clear_pending(uint32_t irq) { CM_NVIC_ICPR(irq) = 1u << (irq & 31u); }

/* SysTick free-running from the core clock, interrupting on every wrap (2^24 cycles). */
static inline void cm_systick_start(void)
{
    CM_SYST_RVR = 0xFFFFFFu;
    CM_SYST_CVR = 0;
    CM_SYST_CSR = 0x7u;  /* processor clock, interrupt, enable */
}

/* Cycles since cm_systick_start(), given the wrap count the SysTick handler increments. */
static inline uint64_t cm_systick_cycles(volatile const uint32_t *wraps)
{
    uint32_t key = cm_irq_save();
    uint32_t w = *wraps;
    uint32_t value = CM_SYST_CVR;
    if (CM_SCB_ICSR & CM_ICSR_PENDSTSET) {  /* wrapped, handler not run yet: count it */
        value = CM_SYST_CVR;
        w++;
    }
    cm_irq_restore(key);
    return ((uint64_t)w << 24) + (0xFFFFFFu - value);
}

/* DWT CYCCNT (32 bits at the core clock) extended to 64 bits: every reader, and a periodic
 * interrupt well inside one wrap (SysTick every 2^24 cycles), call cm_dwt_cycles(). */
typedef struct {
    uint32_t last;
    uint32_t high;
} cm_dwt_t;

static inline void cm_dwt_start(volatile cm_dwt_t *d)
{
    CM_DEMCR |= CM_DEMCR_TRCENA;
    CM_DWT_CYCCNT = 0;
    CM_DWT_CTRL |= CM_DWT_CTRL_CYCCNTENA;
    d->last = 0;
    d->high = 0;
}

static inline uint64_t cm_dwt_cycles(volatile cm_dwt_t *d)
{
    uint32_t key = cm_irq_save();
    const uint32_t now = CM_DWT_CYCCNT;
    if (now < d->last) {
        d->high++;
    }
    d->last = now;
    const uint64_t t = ((uint64_t)d->high << 32) | now;
    cm_irq_restore(key);
    return t;
}

/* Sleep until an interrupt unless `*events` moved since `*seen`; PRIMASK stays set across
 * the WFI so an interrupt between the check and the WFI still wakes it. */
static inline void cm_sleep(volatile const uint32_t *events, uint32_t *seen)
{
    uint32_t key = cm_irq_save();
    if (*events == *seen) {
        __asm__ volatile("dsb\n wfi" ::: "memory");
    }
    *seen = *events;
    cm_irq_restore(key);
}

__attribute__((noreturn)) static inline void cm_reset(void)
{
    __asm__ volatile("dsb" ::: "memory");
    CM_SCB_AIRCR = 0x05FA0000u | (1u << 2);  /* VECTKEY | SYSRESETREQ */
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* The C run-time start every Cortex-M Reset_Handler does before main(): copy .data from flash
 * (the linker script's _sidata.._edata), zero .bss (_sbss.._ebss), and, when built for an FPU,
 * give CP10/CP11 full access (CPACR, ARMv7-M ARM B3.2.20) before any float instruction runs. */
static inline void cm_start_c_runtime(void)
{
    extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;
    for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
#if defined(__ARM_FP)
    CM_SCB_CPACR |= 0xFu << 20;  /* CP10, CP11: full access */
    __asm__ volatile("dsb\n isb" ::: "memory");
#endif
}

#endif /* PED_CORTEXM_H */
