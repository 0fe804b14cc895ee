//===- ToolSupport.h - What sieve-compile and sieve-opt share ---*- C++ -*-===//
//
// Part of Sieve. Both tools promise a diagnostic and exit status 1 for any
// input, never a crash: they run on a large stack, and LLVM's fatal errors
// become diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_SUPPORT_TOOLSUPPORT_H
#define SIEVE_SUPPORT_TOOLSUPPORT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/thread.h"

#include <cstdlib>
#include <optional>

namespace sieve {

/// MLIR's parser, verifier and walks recurse once per level of nesting; on
/// the main thread's 8 MiB, a few thousand nested regions overflow the stack.
/// This is enough for about 100,000 levels, with sanitizers too (reserved,
/// and committed only as it is used).
constexpr unsigned kToolStackBytes = 256u << 20;

/// Runs `body` on a thread with kToolStackBytes of stack; returns its result.
inline int runWithLargeStack(llvm::function_ref<int()> body) {
  int result = 1;
  llvm::thread worker(std::optional<unsigned>(kToolStackBytes),
                      [&] { result = body(); });
  worker.join();
  return result;
}

/// Turns LLVM's fatal errors into a diagnostic and exit status 1: an output
/// that cannot be written is the user's problem ("IO failure on output
/// stream"); anything else is a bug, reported as an internal compiler error
/// (which the fuzzer counts as a finding).
inline void installFatalErrorHandler(const char *tool) {
  llvm::install_fatal_error_handler(
      [](void *tool, const char *reason, bool) {
        llvm::StringRef message(reason);
        auto &os = llvm::WithColor::error(llvm::errs(),
                                          static_cast<const char *>(tool));
        if (message.starts_with("IO failure"))
          os << "cannot write the output: " << message << "\n";
        else
          os << "internal compiler error: " << message << "\n";
        std::_Exit(1);
      },
      const_cast<char *>(tool));
}

} // namespace sieve

#endif // SIEVE_SUPPORT_TOOLSUPPORT_H
