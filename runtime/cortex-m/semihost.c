//===- semihost.c - Arm semihosting I/O and the C functions models need ---===//
//
// Part of Sieve's test runtime. Output and exit go through semihosting
// (BKPT 0xAB on M-profile), which QEMU implements with
// `-semihosting-config enable=on,target=native`. Compiled models may call
// memcpy and memset (LLVM turns copy and fill loops into them); firmware
// normally gets them from its C library, this runtime brings its own. The
// instructions a model spends in them count as the model's (QEMU's icount
// plugin counts every instruction between the harness's two markers), so
// they move whole words, four at a time, as newlib's and picolibc's do.
//
//===----------------------------------------------------------------------===//

#include "../test/sieve_test_io.h"

#include <stddef.h>
#include <stdint.h>

static int semihostingCall(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void sieve_write(const char *text) { semihostingCall(0x04, text); } // WRITE0

__attribute__((noreturn)) void sieve_exit(int status) {
  // SYS_EXIT_EXTENDED with ADP_Stopped_ApplicationExit: QEMU exits with
  // `status`.
  uint32_t block[2] = {0x20026u, (uint32_t)status};
  semihostingCall(0x20, block);
  semihostingCall(0x18, (void *)0x20026); // SYS_EXIT: status 0 only
  for (;;) {
  }
}

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  // Word copies when both are aligned: models copy whole tensors.
  if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
    for (; n >= 16; n -= 16, d += 16, s += 16) {
      uint32_t a = ((const uint32_t *)s)[0], b = ((const uint32_t *)s)[1],
               c = ((const uint32_t *)s)[2], e = ((const uint32_t *)s)[3];
      ((uint32_t *)d)[0] = a;
      ((uint32_t *)d)[1] = b;
      ((uint32_t *)d)[2] = c;
      ((uint32_t *)d)[3] = e;
    }
    for (; n >= 4; n -= 4, d += 4, s += 4)
      *(uint32_t *)d = *(const uint32_t *)s;
  }
  while (n--)
    *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s)
    return memcpy(dst, src, n);
  while (n--)
    d[n] = s[n];
  return dst;
}

void *memset(void *dst, int value, size_t n) {
  unsigned char *d = dst;
  for (; n && ((uintptr_t)d & 3); --n)
    *d++ = (unsigned char)value;
  uint32_t word = 0x01010101u * (unsigned char)value;
  for (; n >= 16; n -= 16, d += 16) {
    ((uint32_t *)d)[0] = word;
    ((uint32_t *)d)[1] = word;
    ((uint32_t *)d)[2] = word;
    ((uint32_t *)d)[3] = word;
  }
  for (; n >= 4; n -= 4, d += 4)
    *(uint32_t *)d = word;
  while (n--)
    *d++ = (unsigned char)value;
  return dst;
}

// The ARM EABI names LLVM uses for the same operations.
void __aeabi_memcpy(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy4(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy8(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memmove(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove4(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove8(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memset(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset4(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset8(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memclr(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr4(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr8(void *d, size_t n) { memset(d, 0, n); }
