/*===- icount.c - QEMU plugin: count the instructions a model executes -----===*
 *
 * Part of Sieve's test runtime. QEMU has no timing model, so instruction
 * counts are what the tests and the demo report for emulated targets.
 * Counts executed guest instructions in total, inside [lo, hi) (a function's
 * own code), and between the first and the last execution of the
 * instruction at `mark` (the harness calls a marker function right before
 * and right after the model: the model's instructions with everything it
 * calls, memset and memcpy included, plus the few of the two calls).
 * Debian's QEMU 7.2 supports plugins but ships no qemu-plugin.h, so the few
 * declarations of plugin API v1 used here are written out.
 *
 *   qemu-system-arm ... -plugin libsieve-icount.so,mark=0x1f0 -d plugin
 *   qemu-system-arm ... -plugin libsieve-icount.so,lo=0x200,hi=0x234 -d plugin
 *
 * With `pcs=1` it also prints how many times each instruction of the range
 * ran (`icount-pc: 0x<address> <count>`, executed ones only): the benches
 * find the hot loops in that profile and give them to llvm-mca.
 *
 *===--------------------------------------------------------------------===*/
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
  const char *target_name;
  struct {
    int min, cur;
  } version;
  bool system_emulation;
  union {
    struct {
      int smp_vcpus, max_vcpus;
    } system;
  };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb_t)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *,
                                              enum qemu_plugin_op, void *,
                                              uint64_t);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *,
                                                enum qemu_plugin_op, void *,
                                                uint64_t);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int, void *);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *,
                                            qemu_plugin_vcpu_udata_cb_t,
                                            enum qemu_plugin_cb_flags, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *,
                                                 size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, udata_cb_t, void *);
void qemu_plugin_outs(const char *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One vCPU: plain inline adds are exact. */
static uint64_t total, inRange, lo, hi, mark;
/* `total` when the marker first and last ran, and how often it ran. */
static uint64_t firstMark, lastMark, marks;
/* With pcs=1: one counter per byte address of [lo, hi). */
static uint64_t *perPc;

/* The whole block's count is added when it starts, so both snapshots
 * include the marker's block: their difference is exact. */
static void onMark(unsigned int vcpu, void *data) {
  (void)vcpu;
  (void)data;
  if (marks++ == 0)
    firstMark = total;
  lastMark = total;
}

static void onTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                           &total, n);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    if (mark && pc == mark)
      qemu_plugin_register_vcpu_insn_exec_cb(insn, onMark,
                                             QEMU_PLUGIN_CB_NO_REGS, NULL);
    if (pc < lo || pc >= hi)
      continue;
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                               &inRange, 1);
    if (perPc)
      qemu_plugin_register_vcpu_insn_exec_inline(
          insn, QEMU_PLUGIN_INLINE_ADD_U64, &perPc[pc - lo], 1);
  }
}

static void onExit(qemu_plugin_id_t id, void *data) {
  (void)id;
  (void)data;
  char text[192];
  int len = snprintf(text, sizeof text,
                     "icount: total=%" PRIu64 " range[0x%" PRIx64 ",0x%" PRIx64
                     ")=%" PRIu64,
                     total, lo, hi, inRange);
  if (mark && marks >= 2)
    snprintf(text + len, sizeof text - len, " marked=%" PRIu64,
             lastMark - firstMark);
  qemu_plugin_outs(text);
  qemu_plugin_outs("\n");
  if (!perPc)
    return;
  for (uint64_t pc = lo; pc < hi; pc++)
    if (perPc[pc - lo]) {
      snprintf(text, sizeof text, "icount-pc: 0x%" PRIx64 " %" PRIu64 "\n", pc,
               perPc[pc - lo]);
      qemu_plugin_outs(text);
    }
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                    char **argv) {
  (void)info;
  bool profile = false;
  for (int i = 0; i < argc; i++) {
    if (!strncmp(argv[i], "lo=", 3))
      lo = strtoull(argv[i] + 3, NULL, 0);
    else if (!strncmp(argv[i], "hi=", 3))
      hi = strtoull(argv[i] + 3, NULL, 0);
    else if (!strncmp(argv[i], "mark=", 5))
      mark = strtoull(argv[i] + 5, NULL, 0);
    else if (!strcmp(argv[i], "pcs=1"))
      profile = true;
  }
  if (profile)
    perPc = hi > lo ? calloc(hi - lo, sizeof *perPc) : NULL;
  qemu_plugin_register_vcpu_tb_trans_cb(id, onTranslate);
  qemu_plugin_register_atexit_cb(id, onExit, NULL);
  return 0;
}
