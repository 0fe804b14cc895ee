/*===- io_hosted.c - Harness output on a hosted platform -------------------===*
 *
 * Part of Sieve's test runtime.
 *
 *===--------------------------------------------------------------------===*/
#include "sieve_test_io.h"

#include <stdio.h>

void sieve_write(const char *text) { fputs(text, stdout); }
