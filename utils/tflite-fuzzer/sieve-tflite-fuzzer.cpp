//===- sieve-tflite-fuzzer.cpp - libFuzzer target for the TFLite reader ---===//
//
// Part of Sieve's tests. A libFuzzer target around importTFLite, the entry
// point of sieve-import-tflite and of sieve-compile for .tflite files: every
// input is a would-be model. Rejecting it with a diagnostic is the job; a
// crash, an AddressSanitizer report, a leak, a timeout or an imported module
// that fails the verifier is a finding.
//
//   sieve-tflite-fuzzer -max_total_time=60 CORPUS_DIR
//
// Built with -fsanitize=fuzzer,address (the importer's source is compiled
// into it, so that libFuzzer sees its coverage) when clang's fuzzer runtime
// is installed (Debian's libclang-rt-22-dev).
//
//===----------------------------------------------------------------------===//

#include "sieve/Import/TFLite/TFLiteImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // One context for all inputs, as sieve-compile has one per run: building
  // a context per input would spend the time budget on dialect loading. No
  // threads: a worker pool would only slow each small input down.
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext(mlir::MLIRContext::Threading::DISABLED);
    ctx->loadDialect<mlir::func::FuncDialect, mlir::tosa::TosaDialect>();
    return ctx;
  }();
  // Diagnostics are the expected outcome for most inputs: drop them, but
  // format each one, so that a diagnostic that cannot be printed is found.
  mlir::ScopedDiagnosticHandler handler(context, [](mlir::Diagnostic &diag) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << diag.getLocation() << ": " << diag;
    return mlir::success();
  });
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto buffer = llvm::MemoryBufferRef(bytes, "fuzz.tflite");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      sieve::importTFLite(buffer, context);
  // An accepted model must be valid IR: sieve-compile runs its pipeline on
  // it next, which assumes the verifier passed.
  if (module && mlir::failed(mlir::verify(*module))) {
    llvm::errs() << "sieve-tflite-fuzzer: the importer accepted the input "
                    "but its module fails the verifier:\n";
    module->print(llvm::errs());
    std::abort();
  }
  return 0;
}
