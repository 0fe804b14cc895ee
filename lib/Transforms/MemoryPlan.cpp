//===- MemoryPlan.cpp - The recorded static memory plan -------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/MemoryPlan.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace sieve;

DictionaryAttr MemoryPlan::toAttr(MLIRContext *context) const {
  Builder b(context);
  auto integer = [&](StringRef key, uint64_t value) {
    return b.getNamedAttr(key, b.getI64IntegerAttr(value));
  };
  auto string = [&](StringRef key, StringRef value) {
    return b.getNamedAttr(key, b.getStringAttr(value));
  };
  SmallVector<Attribute> bufferAttrs;
  for (const PlannedBuffer &buffer : buffers) {
    SmallVector<NamedAttribute> entry = {
        integer("size", buffer.size),   integer("offset", buffer.offset),
        integer("first", buffer.first), integer("last", buffer.last),
        string("op", buffer.op),        string("loc", buffer.loc)};
    if (buffer.sharesWith) {
      entry.push_back(integer("shares_with", *buffer.sharesWith));
      entry.push_back(string("sharing", buffer.sharing));
    }
    bufferAttrs.push_back(b.getDictionaryAttr(entry));
  }
  return b.getDictionaryAttr(
      {integer("arena_size", arenaSize), integer("lower_bound", lowerBound),
       integer("greedy_by_size", greedyBySize), string("strategy", strategy),
       integer("alignment", alignment), integer("budget", budget),
       integer("peak_index", peakIndex), string("peak_op", peakOp),
       b.getNamedAttr("buffers", b.getArrayAttr(bufferAttrs))});
}

/// Reads `key` of `dict` into `value`; false if it is missing or mistyped.
static bool read(DictionaryAttr dict, StringRef key, uint64_t &value) {
  auto attr = dict.getAs<IntegerAttr>(key);
  if (attr)
    value = attr.getInt();
  return static_cast<bool>(attr);
}
static bool read(DictionaryAttr dict, StringRef key, unsigned &value) {
  uint64_t wide;
  if (!read(dict, key, wide))
    return false;
  value = wide;
  return true;
}
static bool read(DictionaryAttr dict, StringRef key, std::string &value) {
  auto attr = dict.getAs<StringAttr>(key);
  if (attr)
    value = attr.str();
  return static_cast<bool>(attr);
}

std::optional<MemoryPlan> MemoryPlan::fromAttr(DictionaryAttr attr) {
  MemoryPlan plan;
  auto bufferAttrs = attr ? attr.getAs<ArrayAttr>("buffers") : ArrayAttr();
  if (!bufferAttrs || !read(attr, "arena_size", plan.arenaSize) ||
      !read(attr, "lower_bound", plan.lowerBound) ||
      !read(attr, "greedy_by_size", plan.greedyBySize) ||
      !read(attr, "strategy", plan.strategy) ||
      !read(attr, "alignment", plan.alignment) ||
      !read(attr, "budget", plan.budget) ||
      !read(attr, "peak_index", plan.peakIndex) ||
      !read(attr, "peak_op", plan.peakOp))
    return std::nullopt;
  for (Attribute element : bufferAttrs) {
    auto entry = dyn_cast<DictionaryAttr>(element);
    PlannedBuffer buffer;
    if (!entry || !read(entry, "size", buffer.size) ||
        !read(entry, "offset", buffer.offset) ||
        !read(entry, "first", buffer.first) ||
        !read(entry, "last", buffer.last) || !read(entry, "op", buffer.op) ||
        !read(entry, "loc", buffer.loc))
      return std::nullopt;
    unsigned sharesWith;
    if (read(entry, "shares_with", sharesWith) &&
        read(entry, "sharing", buffer.sharing))
      buffer.sharesWith = sharesWith;
    plan.buffers.push_back(std::move(buffer));
  }
  return plan;
}
