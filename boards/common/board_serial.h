/*
 * board_serial.h - the serial half of ped/board.h that every microcontroller port shares
 * (boards/common/board_serial.c): the RX and TX rings and the calls around them. A port
 * supplies only its UART: board_serial_kick() starts its transmitter (called outside
 * interrupt context with bytes queued), and its UART interrupt moves bytes with
 * board_serial_rx_byte() and board_serial_tx_byte(). The ring sizes are the ports' old ones.
 */
#ifndef PED_BOARD_SERIAL_H
#define PED_BOARD_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define BOARD_SERIAL_RING_BYTES 256u

/* Empty both rings (board_init). */
void board_serial_init(void);

/* Port function: make the transmitter send the TX ring (idempotent). */
void board_serial_kick(void);

/* From the RX interrupt: one received byte (dropped and counted when the ring is full). */
void board_serial_rx_byte(uint8_t byte);

/* From the TX interrupt (or the kick): the next byte to send. @return 0 with *byte set, or -1
 * when the ring is empty. */
int board_serial_tx_byte(uint8_t *byte);

/* Bytes still queued for transmission. */
size_t board_serial_tx_pending(void);

#endif /* PED_BOARD_SERIAL_H */
