/* Calls the model of Inputs/checks.mlir on inputs that pass both checks,
   fail the first, fail only the second, and fail both. */
#include "checks.h"

#include <stdio.h>

static void run(float x00, float x10) {
  const float in[8] = {x00, 1.f, 2.f, 3.f, x10, 5.f, 6.f, 7.f};
  float out[8] = {0};
  int32_t status = checks_run(in, out, NULL);
  if (status == 0)
    printf("status 0 out %.1f\n", out[4]);
  else
    printf("status %d\n", (int)status);
}

int main(void) {
  run(0.f, -1.5f);
  run(-1.f, -1.5f);
  run(0.f, 1.5f);
  run(-1.f, 1.5f);
  return 0;
}
