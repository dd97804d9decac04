// hfw_imu: stream MPU-9250 acceleration over USB serial for hfwidgets.
//
// Protocol (docs/sensors.md): 115200 baud, one ASCII line per sample, "\r\n" terminated.
//   # hfw-imu v1 rate=50 range=8g             header, printed once at boot (and so after
//                                              every reset, e.g. when the port is opened)
//   12345,-0.9812,0.0123,0.1540                t_ms (millis()), ax, ay, az in g
// Lines starting with '#' are information, never samples.
//
// Wiring (Uno/Nano): MPU-9250 VCC->3.3V (or 5V on boards with a regulator), GND->GND,
// SDA->A4, SCL->A5. Strap it to the wrist with x along the forearm towards the hand.
// Needs only the Wire library that ships with the Arduino IDE.

#include <Wire.h>

const uint8_t MPU_ADDR = 0x68;       // AD0 low; 0x69 when AD0 is tied high
const unsigned long RATE_HZ = 50;    // sample rate; hfwidgets reads it from the header
const unsigned long PERIOD_US = 1000000UL / RATE_HZ;
const float LSB_PER_G = 4096.0;      // +/-8 g full scale: a high-five's impact stays in range

unsigned long nextSampleUs = 0;

void writeRegister(uint8_t reg, uint8_t value) {
  Wire.beginTransmission(MPU_ADDR);
  Wire.write(reg);
  Wire.write(value);
  Wire.endTransmission();
}

uint8_t readRegister(uint8_t reg) {
  Wire.beginTransmission(MPU_ADDR);
  Wire.write(reg);
  Wire.endTransmission(false);
  Wire.requestFrom(MPU_ADDR, (uint8_t)1);
  return Wire.available() ? Wire.read() : 0xFF;
}

bool setupImu() {
  uint8_t who = readRegister(0x75);  // WHO_AM_I: 0x71 MPU-9250, 0x73 MPU-9255, 0x70 MPU-6500
  if (who != 0x71 && who != 0x73 && who != 0x70) {
    Serial.print(F("# hfw-imu v1 error=no-imu who_am_i=0x"));
    Serial.println(who, HEX);
    return false;
  }
  writeRegister(0x6B, 0x80);  // PWR_MGMT_1: reset the chip
  delay(100);
  writeRegister(0x6B, 0x01);  // wake up, PLL clock
  writeRegister(0x1C, 0x10);  // ACCEL_CONFIG: +/-8 g
  writeRegister(0x1D, 0x04);  // ACCEL_CONFIG2: low-pass at 20 Hz (below Nyquist of 50 Hz)
  return true;
}

void setup() {
  Serial.begin(115200);
  while (!Serial) {}  // boards with native USB: wait for the port to open
  Wire.begin();
  Wire.setClock(400000);
  while (!setupImu()) {
    delay(1000);  // keep saying why, as '#' lines that hfwidgets shows but never parses
  }
  Serial.print(F("# hfw-imu v1 rate="));
  Serial.print(RATE_HZ);
  Serial.println(F(" range=8g sensor=mpu9250"));
  nextSampleUs = micros();
}

void loop() {
  // Fixed-rate schedule on micros(): late samples are taken at once, none are skipped,
  // so gaps in t_ms only appear when the host really lost lines.
  if ((long)(micros() - nextSampleUs) < 0) return;
  nextSampleUs += PERIOD_US;
  unsigned long t = millis();

  Wire.beginTransmission(MPU_ADDR);
  Wire.write(0x3B);  // ACCEL_XOUT_H, then Y and Z: 6 bytes, big-endian
  Wire.endTransmission(false);
  Wire.requestFrom(MPU_ADDR, (uint8_t)6);
  if (Wire.available() < 6) return;  // a glitch on the bus: the host counts the gap
  int16_t raw[3];
  for (int i = 0; i < 3; i++) {
    uint8_t hi = Wire.read();  // two statements: operand order in one expression is unspecified
    uint8_t lo = Wire.read();
    raw[i] = (int16_t)((hi << 8) | lo);
  }
  Serial.print(t);
  for (int i = 0; i < 3; i++) {
    Serial.print(',');
    Serial.print(raw[i] / LSB_PER_G, 4);
  }
  Serial.println();
}
