// entry.cpp - the Arduino framework calls setup(); ped's main() (built as ped_main, see
// boards/pio_stock.py) takes over from there and never returns. NOT BUILT HERE.
extern "C" int ped_main(void);

void setup() { ped_main(); }
void loop() {}
