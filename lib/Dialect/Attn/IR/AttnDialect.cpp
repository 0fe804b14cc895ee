//===- AttnDialect.cpp - The attn dialect and its attributes --------------===//
//
// Part of Sieve: the attention dialect.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnDialect.h"
#include "sieve/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace sieve;
using namespace sieve::attn;

#include "sieve/Dialect/Attn/IR/AttnOpsDialect.cpp.inc"

#include "sieve/Dialect/Attn/IR/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "sieve/Dialect/Attn/IR/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sieve/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "sieve/Dialect/Attn/IR/AttnAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// #attn.logsparse, #attn.logsparse<local = W>, #attn.logsparse<restart = S>
//===----------------------------------------------------------------------===//

Attribute LogSparseAttr::parse(AsmParser &parser, Type) {
  int64_t local = 0, restart = 0;
  if (succeeded(parser.parseOptionalLess())) {
    StringRef keyword;
    int64_t value;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseKeyword(&keyword) || parser.parseEqual() ||
        parser.parseInteger(value) || parser.parseGreater())
      return {};
    if (keyword != "local" && keyword != "restart") {
      parser.emitError(loc, "expected 'local' or 'restart', got '")
          << keyword << "'";
      return {};
    }
    if (value < 1) {
      parser.emitError(loc, "the ")
          << (keyword == "local" ? "local window" : "restart length")
          << " must be >= 1, got " << value;
      return {};
    }
    (keyword == "local" ? local : restart) = value;
  }
  return parser.getChecked<LogSparseAttr>(parser.getContext(), local, restart);
}

void LogSparseAttr::print(AsmPrinter &printer) const {
  if (getLocal())
    printer << "<local = " << getLocal() << ">";
  else if (getRestart())
    printer << "<restart = " << getRestart() << ">";
}

LogicalResult
LogSparseAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      int64_t local, int64_t restart) {
  if (local < 0 || restart < 0)
    return emitError() << "the local window and restart length must be >= 1";
  if (local && restart)
    return emitError() << "a LogSparse pattern has a local window or a "
                          "restart length, not both";
  return success();
}

//===----------------------------------------------------------------------===//
// #attn.diagonals<[d0, d1, ...]>, #attn.diagonals<window = W>
//===----------------------------------------------------------------------===//

Attribute DiagonalsAttr::parse(AsmParser &parser, Type) {
  SmallVector<int64_t> offsets;
  if (parser.parseLess())
    return {};
  if (succeeded(parser.parseOptionalKeyword("window"))) {
    int64_t window;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseEqual() || parser.parseInteger(window) ||
        parser.parseGreater())
      return {};
    if (window < 1) {
      parser.emitError(loc, "the window must be >= 1, got ") << window;
      return {};
    }
    for (int64_t d = 0; d < window; ++d)
      offsets.push_back(d);
  } else if (parser.parseCommaSeparatedList(
                 AsmParser::Delimiter::Square,
                 [&] { return parser.parseInteger(offsets.emplace_back()); }) ||
             parser.parseGreater()) {
    return {};
  }
  return parser.getChecked<DiagonalsAttr>(parser.getContext(), offsets);
}

void DiagonalsAttr::print(AsmPrinter &printer) const {
  ArrayRef<int64_t> offsets = getOffsets();
  bool window = true;
  for (auto [i, d] : llvm::enumerate(offsets))
    window &= d == static_cast<int64_t>(i);
  if (window) {
    printer << "<window = " << offsets.size() << ">";
    return;
  }
  printer << "<[";
  llvm::interleaveComma(offsets, printer);
  printer << "]>";
}

LogicalResult
DiagonalsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      ArrayRef<int64_t> offsets) {
  std::string error =
      AttentionPattern::diagonals({offsets.begin(), offsets.end()}).verify();
  if (!error.empty())
    return emitError() << error;
  return success();
}

//===----------------------------------------------------------------------===//
// The bridge to sieve::AttentionPattern
//===----------------------------------------------------------------------===//

std::optional<AttentionPattern>
sieve::attn::getAttentionPattern(Attribute attr) {
  if (auto logSparse = dyn_cast_or_null<LogSparseAttr>(attr)) {
    if (logSparse.getLocal())
      return AttentionPattern::logSparseLocal(logSparse.getLocal());
    if (logSparse.getRestart())
      return AttentionPattern::logSparseRestart(logSparse.getRestart());
    return AttentionPattern::logSparse();
  }
  if (auto diagonals = dyn_cast_or_null<DiagonalsAttr>(attr))
    return AttentionPattern::diagonals(
        {diagonals.getOffsets().begin(), diagonals.getOffsets().end()});
  return std::nullopt;
}

Attribute sieve::attn::getPatternAttr(MLIRContext *context,
                                      const AttentionPattern &pattern) {
  switch (pattern.getKind()) {
  case AttentionPattern::Kind::LogSparse:
    return LogSparseAttr::get(context, 0, 0);
  case AttentionPattern::Kind::LogSparseLocal:
    return LogSparseAttr::get(context, pattern.getSize(), 0);
  case AttentionPattern::Kind::LogSparseRestart:
    return LogSparseAttr::get(context, 0, pattern.getSize());
  case AttentionPattern::Kind::Diagonals:
    return DiagonalsAttr::get(context, pattern.getOffsets());
  }
  return {};
}
