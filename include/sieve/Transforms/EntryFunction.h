//===- EntryFunction.h - Find and describe the model's entry ----*- C++ -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_ENTRYFUNCTION_H
#define SIEVE_TRANSFORMS_ENTRYFUNCTION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace sieve {

/// Returns the function marked `sieve.entry`, or null.
mlir::func::FuncOp getEntryFunction(mlir::ModuleOp module);

/// The functions a module pass of the compile pipeline works on: the entry
/// function if one is marked, else every function with a body (convenient
/// when replaying a pass on hand-written IR).
llvm::SmallVector<mlir::func::FuncOp>
getCompiledFunctions(mlir::ModuleOp module);

/// The entry function: the one named `name` if given, else the one marked
/// `sieve.entry`, else the only public function with a body. Emits a
/// diagnostic listing the candidates when the choice is ambiguous.
mlir::FailureOr<mlir::func::FuncOp> findEntryFunction(mlir::ModuleOp module,
                                                      llvm::StringRef name);

/// Whether `name` can be a C identifier (and so prefix the entry's symbols).
bool isCIdentifier(llvm::StringRef name);

/// A short text for a location in reports: `file.mlir:12:5` for a file
/// location (base name only), the name of a name location, "" if unknown.
std::string describeLocation(mlir::Location loc);

/// The op's name and, when known, its location: `linalg.conv at m.mlir:3:5`.
std::string describeOp(mlir::Operation *op);

} // namespace sieve

#endif // SIEVE_TRANSFORMS_ENTRYFUNCTION_H
