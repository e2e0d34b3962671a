/*
 * boot2.c - the 256-byte second-stage boot loader at the start of the Pico's flash.
 *
 * RP2040 datasheet §2.8.1 (bootrom, processor-controlled boot sequence): the bootrom reads
 * the first 256 bytes of the external flash into SRAM (0x20041f00), checks that the CRC32 of
 * bytes 0..251 equals the little-endian word at 252..255 (polynomial 0x04c11db7, initial
 * value 0xffffffff, no reflection, no final XOR) and runs it. Its job is to set up the
 * flash interface for execute-in-place and enter the application. This one uses the
 * slowest mode every SPI flash supports: serial 03h reads (§4.10 SSI: 32-bit frames in
 * EEPROM-read mode, an 8-bit instruction and a 24-bit address), then points VTOR at the
 * vector table at 0x10000100, loads its stack pointer and jumps to its reset handler.
 *
 * It runs from its SRAM copy, so it must be position independent: one function, no calls,
 * constants from PC-relative literal pools. The linker script pads the section to 252 bytes;
 * the CRC word is written after linking (pipeline/uf2.py, `patch_boot2_crc`).
 */
#include "rp2040.h"

#define SSI_DFS_32 (31u << 16)          /* CTRLR0.DFS_32: 32-bit data frames */
#define SSI_TMOD_EEPROM_READ (3u << 8)  /* CTRLR0.TMOD: send instruction+address, then read */
#define SSI_XIP_CMD_READ (0x03u << 24)  /* SPI_CTRLR0.XIP_CMD: serial read */
#define SSI_INST_L_8 (2u << 8)          /* SPI_CTRLR0.INST_L: 8-bit instruction */
#define SSI_ADDR_L_24 (6u << 2)         /* SPI_CTRLR0.ADDR_L: 24 bits, in 4-bit units */

__attribute__((section(".boot2"), used, noreturn)) void ped_boot2(void)
{
    RP_REG(RP_SSI_SSIENR) = 0;  /* registers are written only while disabled */
    RP_REG(RP_SSI_BAUDR) = 4;   /* SCK = clk_sys / 4 (at most 31.25 MHz at 125 MHz) */
    RP_REG(RP_SSI_CTRLR0) = SSI_DFS_32 | SSI_TMOD_EEPROM_READ;
    RP_REG(RP_SSI_SPI_CTRLR0) = SSI_XIP_CMD_READ | SSI_INST_L_8 | SSI_ADDR_L_24;
    RP_REG(RP_SSI_CTRLR1) = 0;  /* one 32-bit frame per XIP access */
    RP_REG(RP_SSI_SSIENR) = 1;

    const volatile uint32_t *vectors = (const volatile uint32_t *)(RP_XIP_BASE + 0x100u);
    RP_REG(RP_SCB_VTOR) = (uint32_t)(uintptr_t)vectors;
    __asm__ volatile("msr msp, %0\n bx %1" ::"r"(vectors[0]), "r"(vectors[1]) : "memory");
    __builtin_unreachable();
}
