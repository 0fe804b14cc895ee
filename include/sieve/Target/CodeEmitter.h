//===- CodeEmitter.h - LLVM dialect to object code --------------*- C++ -*-===//
//
// Part of Sieve. Code generation runs in process with LLVM's TargetMachine:
// no llc, no clang, so what the tests link is what users get.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TARGET_CODEEMITTER_H
#define SIEVE_TARGET_CODEEMITTER_H

#include "sieve/Target/TargetInfo.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace sieve {

enum class CodeKind { LLVMIR, Assembly, Object };

/// Translates `module` (LLVM dialect only) to LLVM IR, optimizes it at -O3
/// for `target`, and returns it as text IR, assembly or an ELF object.
/// Diagnostics go to the module's context.
mlir::FailureOr<std::string> emitCode(mlir::ModuleOp module,
                                      const TargetInfo &target, CodeKind kind);

/// The names an object file imports (undefined symbols), sorted.
std::vector<std::string> listUndefinedSymbols(llvm::StringRef object);

/// Bytes of executable and read-only sections of an object file.
uint64_t getCodeBytes(llvm::StringRef object);

} // namespace sieve

#endif // SIEVE_TARGET_CODEEMITTER_H
