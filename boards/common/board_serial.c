/* board_serial.c - the board.h serial calls shared by the microcontroller ports (see
 * board_serial.h); each port keeps only its UART driver. */
#include "board_serial.h"

#include "ped/board.h"
#include "ped/ring.h"

static struct {
    ped_ring_t rx, tx;
    uint8_t rx_buf[BOARD_SERIAL_RING_BYTES], tx_buf[BOARD_SERIAL_RING_BYTES];
} s;

void board_serial_init(void)
{
    (void)ped_ring_init(&s.rx, s.rx_buf, sizeof s.rx_buf);  /* a power of two: cannot fail */
    (void)ped_ring_init(&s.tx, s.tx_buf, sizeof s.tx_buf);
}

void board_serial_rx_byte(uint8_t byte) { ped_ring_put(&s.rx, byte); }
int board_serial_tx_byte(uint8_t *byte) { return ped_ring_get(&s.tx, byte); }
size_t board_serial_tx_pending(void) { return ped_ring_used(&s.tx); }

size_t board_serial_write(const uint8_t *data, size_t len)
{
    return ped_ring_write(&s.tx, data, len, board_serial_kick);
}

size_t board_serial_read(uint8_t *dst, size_t max) { return ped_ring_read(&s.rx, dst, max); }
size_t board_serial_available(void) { return ped_ring_used(&s.rx); }
uint32_t board_serial_rx_dropped(void) { return s.rx.dropped; }

void board_console_write(const char *text, size_t len)
{
    board_serial_write((const uint8_t *)text, len);
}
