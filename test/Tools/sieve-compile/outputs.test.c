/* Compiled with the generated header force-included (outputs.test): the
   header must be self-contained C and C++, and its macros usable as C
   constants. */
static const int shape[] = CNN_INPUT0_SHAPE;
static unsigned char arena[CNN_ARENA_SIZE]
    __attribute__((aligned(CNN_ARENA_ALIGN)));

int check(void);
int check(void) {
  cnn_input0_t in[CNN_INPUT0_ELEMENTS] = {0};
  cnn_output0_t out[CNN_OUTPUT0_ELEMENTS];
  (void)shape;
  return cnn_run(in, out, arena) + CNN_INPUT0_ZERO_POINT;
}
