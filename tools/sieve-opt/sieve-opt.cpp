//===- sieve-opt.cpp - mlir-opt with Sieve's dialects and passes ----------===//
//
// Part of Sieve. Every upstream dialect and pass plus Sieve's, so that any
// stage of sieve-compile (saved with --save-stages) can be replayed, and
// --mlir-print-ir-after-all shows each step.
//
//===----------------------------------------------------------------------===//

#include "sieve/InitAll.h"
#include "sieve/Support/ToolSupport.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  sieve::registerSievePassesAndPipelines();
  mlir::DialectRegistry registry;
  sieve::registerAllDialects(registry);
  sieve::installFatalErrorHandler("sieve-opt");
  return sieve::runWithLargeStack([&] {
    uint64_t errorBytes = llvm::errs().tell();
    int status = mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, "Sieve optimizer driver\n", registry));
    // Some of MLIR's op parsers fail without a message (an op cut off inside
    // its attribute dictionary, for one); never exit silently.
    if (status != 0 && llvm::errs().tell() == errorBytes)
      llvm::errs() << "sieve-opt: error: failed without a diagnostic (MLIR's "
                      "parser rejects some malformed input silently; check "
                      "the input's syntax)\n";
    return status;
  });
}
