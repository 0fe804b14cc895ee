/*===- test_io.c - Output of the execution-test harnesses ------------------===*
 *
 * Part of Sieve's test runtime. No printf: the Cortex-M images have no C
 * library.
 *
 *===--------------------------------------------------------------------===*/
#include "sieve_test_io.h"

typedef struct {
  char text[512];
  unsigned length;
} LineBuffer;

static void flush(LineBuffer *line) {
  line->text[line->length] = 0;
  sieve_write(line->text);
  line->length = 0;
}

static void put(LineBuffer *line, const char *text) {
  while (*text) {
    if (line->length + 2 >= sizeof line->text)
      flush(line);
    line->text[line->length++] = *text++;
  }
}

static void putSigned(LineBuffer *line, int64_t value) {
  char digits[24], *p = digits + sizeof digits;
  uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
  *--p = 0;
  do {
    *--p = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude);
  if (value < 0)
    *--p = '-';
  put(line, p);
}

static void putHex(LineBuffer *line, uint64_t value, int digits) {
  char text[20], *p = text;
  *p++ = '0';
  *p++ = 'x';
  for (int i = digits - 1; i >= 0; --i)
    *p++ = "0123456789abcdef"[(value >> (4 * i)) & 15];
  *p = 0;
  put(line, text);
}

#define SIEVE_PRINT(suffix, type, putValue)                                    \
  void sieve_print_##suffix(const char *name, const type *data,                \
                            uint32_t count) {                                  \
    LineBuffer line = {{0}, 0};                                                \
    for (uint32_t i = 0; i < count; ++i) {                                     \
      if (i % 32 == 0) {                                                       \
        if (i)                                                                 \
          put(&line, "\n");                                                    \
        put(&line, name);                                                      \
      }                                                                        \
      put(&line, " ");                                                         \
      putValue;                                                                \
    }                                                                          \
    put(&line, "\n");                                                          \
    flush(&line);                                                              \
  }

SIEVE_PRINT(i8, int8_t, putSigned(&line, data[i]))
SIEVE_PRINT(i16, int16_t, putSigned(&line, data[i]))
SIEVE_PRINT(i32, int32_t, putSigned(&line, data[i]))
SIEVE_PRINT(i64, int64_t, putSigned(&line, data[i]))
SIEVE_PRINT(u8, uint8_t, putSigned(&line, data[i]))
SIEVE_PRINT(u16, uint16_t, putSigned(&line, data[i]))
SIEVE_PRINT(f32, float, {
  union {
    float f;
    uint32_t u;
  } bits = {data[i]};
  putHex(&line, bits.u, 8);
})
SIEVE_PRINT(f64, double, {
  union {
    double f;
    uint64_t u;
  } bits = {data[i]};
  putHex(&line, bits.u, 16);
})
