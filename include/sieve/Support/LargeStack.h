//===- LargeStack.h - Run the compiler on a large stack ---------*- C++ -*-===//
//
// Part of Sieve. MLIR's parser, verifier and walks recurse once per level of
// nesting; on the main thread's 8 MiB, a few thousand nested regions end in a
// stack overflow instead of a diagnostic. The tools run on a thread whose
// stack is reserved large (and committed only as it is used).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_SUPPORT_LARGESTACK_H
#define SIEVE_SUPPORT_LARGESTACK_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/thread.h"

#include <optional>

namespace sieve {

/// Enough for about 100,000 levels of nesting, with sanitizers too.
constexpr unsigned kToolStackBytes = 256u << 20;

/// Runs `body` on a thread with kToolStackBytes of stack; returns its result.
inline int runWithLargeStack(llvm::function_ref<int()> body) {
  int result = 1;
  llvm::thread worker(std::optional<unsigned>(kToolStackBytes),
                      [&] { result = body(); });
  worker.join();
  return result;
}

} // namespace sieve

#endif // SIEVE_SUPPORT_LARGESTACK_H
