/*===- sieve_test_io.h - Output of the execution-test harnesses ------------===*
 *
 * Part of Sieve's test runtime. The harnesses print results as text lines
 * that scripts/check_model.py parses; sieve_write is the one function each
 * platform provides (stdio when hosted, semihosting on Cortex-M).
 *
 *===--------------------------------------------------------------------===*/
#ifndef SIEVE_TEST_IO_H
#define SIEVE_TEST_IO_H

#include <stdint.h>

void sieve_write(const char *text);

/* Prints the tensor as "name v0 v1 ...", 32 values a line; floats as the
   hexadecimal bits of their IEEE-754 encoding, so nothing is rounded. */
void sieve_print_i8(const char *name, const int8_t *data, uint32_t count);
void sieve_print_i16(const char *name, const int16_t *data, uint32_t count);
void sieve_print_i32(const char *name, const int32_t *data, uint32_t count);
void sieve_print_i64(const char *name, const int64_t *data, uint32_t count);
void sieve_print_u8(const char *name, const uint8_t *data, uint32_t count);
void sieve_print_u16(const char *name, const uint16_t *data, uint32_t count);
void sieve_print_f32(const char *name, const float *data, uint32_t count);
void sieve_print_f64(const char *name, const double *data, uint32_t count);

#endif /* SIEVE_TEST_IO_H */
