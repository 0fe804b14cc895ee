//===- MemoryMap.cpp - The arena plan drawn as an SVG picture -------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Target/MemoryMap.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>

using namespace sieve;
using llvm::formatv;
using llvm::StringRef;

namespace {
/// The plot has the same size whatever the model, so that the pictures of
/// two models or two placements compare at a glance; a buffer's box is then
/// as wide as its lifetime is long relative to the model, and as tall as its
/// share of the arena. The margins hold the axes, the labels of the
/// horizontal lines (right) and the legend (bottom).
constexpr double kPlotWidth = 1000, kPlotHeight = 500;
constexpr double kLeft = 80, kRight = 200, kTop = 100, kBottom = 92;
constexpr double kWidth = kLeft + kPlotWidth + kRight;
constexpr double kHeight = kTop + kPlotHeight + kBottom;
constexpr double kPlotBottom = kTop + kPlotHeight;
constexpr double kPlotRight = kLeft + kPlotWidth;
/// Font sizes in pixels, and the advance of a glyph of DejaVu Sans (what
/// rsvg and most browsers fall back to) per pixel of font size, to lay out
/// text without measuring it: a generous one (digits and `_` are wide) to
/// decide whether a label fits in its box, the average one to space the
/// legend.
constexpr double kLabelFont = 10, kTextFont = 12;
constexpr double kWideGlyph = 0.6, kAverageGlyph = 0.5;
/// A budget up to this many times the arena is drawn as a line, with the
/// free SRAM above the arena visible. A larger one (a CPU-sized budget, or
/// the 512 KiB of an M55 board under a 13 KiB arena) would squash the plan
/// into a sliver at the bottom, so it gets a note instead.
constexpr double kBudgetRange = 2.0;
} // namespace

/// `value` with at most two decimals and no trailing zeros: enough for
/// pixels, and short, for a document with hundreds of boxes.
static std::string num(double value) {
  if (std::fabs(value) < 0.005)
    return "0";
  std::string text = formatv("{0:f2}", value).str();
  while (text.back() == '0')
    text.pop_back();
  if (text.back() == '.')
    text.pop_back();
  return text;
}

/// Text as XML character data or attribute value. Locations are the
/// exporter's strings and may hold anything: markup characters are escaped,
/// and what XML 1.0 cannot contain at all (control characters, invalid
/// UTF-8) is replaced rather than making the whole picture unreadable.
static std::string escape(StringRef text) {
  std::string utf8 =
      llvm::json::isUTF8(text) ? text.str() : llvm::json::fixUTF8(text);
  std::string result;
  result.reserve(utf8.size());
  for (char c : utf8) {
    switch (c) {
    case '&':
      result += "&amp;";
      break;
    case '<':
      result += "&lt;";
      break;
    case '>':
      result += "&gt;";
      break;
    case '"':
      result += "&quot;";
      break;
    case '\'':
      result += "&apos;";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' &&
          c != '\r')
        result += '?';
      else
        result += c;
    }
  }
  return result;
}

/// Estimated width of `text` in pixels: code points (not bytes) times a
/// glyph advance.
static double textWidth(StringRef text, double fontSize,
                        double advance = kWideGlyph) {
  size_t codePoints = llvm::count_if(text, [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  });
  return codePoints * fontSize * advance;
}

/// "384 B", "13184 B (12.9 KiB)", as in the report table.
static std::string bytesText(uint64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024)
    return formatv("{0} B ({1:f1} KiB)", bytes, bytes / 1024.0).str();
  return formatv("{0} B ({1:f2} MiB)", bytes, bytes / (1024.0 * 1024.0)).str();
}

/// Short form for axis ticks and line labels: "512 B", "12 KiB", "1.25 MiB".
static std::string shortBytes(uint64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024)
    return num(bytes / 1024.0) + " KiB";
  return num(bytes / (1024.0 * 1024.0)) + " MiB";
}

/// A colour per layer that does not depend on the model, the placement or
/// the order of the buffers: a hash of the location picks one of the twelve
/// light colours of ColorBrewer's Set3 (made to tell categories apart under
/// black text), so `conv_3` has the same colour in every picture of the
/// model. xxh3 rather than llvm::hash_value, which may be seeded per process.
/// `dark` gives the outline: the same colour at 60%.
static std::string layerColour(StringRef key, bool dark = false) {
  static const uint32_t kPalette[] = {0x8dd3c7, 0xffffb3, 0xbebada, 0xfb8072,
                                      0x80b1d3, 0xfdb462, 0xb3de69, 0xfccde5,
                                      0xd9d9d9, 0xbc80bd, 0xccebc5, 0xffed6f};
  uint32_t rgb = kPalette[llvm::xxh3_64bits(key) % std::size(kPalette)];
  auto channel = [&](unsigned shift) {
    unsigned value = (rgb >> shift) & 0xff;
    return dark ? value * 3 / 5 : value;
  };
  return formatv("#{0:x-2}{1:x-2}{2:x-2}", channel(16), channel(8), channel(0))
      .str();
}

/// The layer that writes `buffer`: its location, or its op when it has none.
/// Boxes are coloured and labelled by it.
static StringRef layerOf(const PlannedBuffer &buffer) {
  return buffer.loc.empty() ? StringRef(buffer.op) : StringRef(buffer.loc);
}

/// The byte step between ticks of the offset axis: a power of two, as SRAM
/// sizes and alignments are, giving at most eight intervals.
static uint64_t byteStep(uint64_t range) {
  uint64_t step = 1;
  while (step * 8 < range)
    step *= 2;
  return step;
}

/// The op step between ticks of the op axis: 1, 2, 5, 10, 20, 50, ...
/// giving at most fifteen ticks.
static unsigned opStep(unsigned count) {
  for (unsigned scale = 1;; scale *= 10)
    for (unsigned mult : {1u, 2u, 5u})
      if (count <= 15 * mult * scale)
        return mult * scale;
}

static void emitText(llvm::raw_ostream &os, double x, double y, StringRef text,
                     StringRef attributes = "") {
  os << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\"";
  if (!attributes.empty())
    os << " " << attributes;
  os << ">" << escape(text) << "</text>\n";
}

/// The title lines common to the picture of a plan and of an empty one.
static void emitHeading(const ModelInterface &model, const TargetInfo &target,
                        llvm::raw_ostream &os) {
  const MemoryPlan &plan = model.memory;
  emitText(os, kLeft, 26,
           (model.name + ": " + bytesText(plan.arenaSize) + " arena on " +
            target.name + " (" + target.triple + ")")
               .str(),
           "class=\"title\" font-size=\"17\" font-weight=\"bold\"");
  std::string attributes =
      formatv("font-size=\"{0}\" fill=\"#444\"", num(kTextFont)).str();
  emitText(
      os, kLeft, 46,
      formatv("lower bound {0}, arena/bound {1:f3}  \xC2\xB7  budget {2}"
              "  \xC2\xB7  placement {3}",
              bytesText(plan.lowerBound),
              plan.lowerBound ? double(plan.arenaSize) / plan.lowerBound : 1.0,
              plan.budget ? bytesText(plan.budget) : std::string("none"),
              plan.strategy)
          .str(),
      attributes);
  if (!plan.buffers.empty())
    emitText(os, kLeft, 63,
             formatv("{0} buffer{1} at {2}-byte aligned offsets  \xC2\xB7  "
                     "peak at op {3}: {4}",
                     plan.buffers.size(), plan.buffers.size() == 1 ? "" : "s",
                     plan.alignment, plan.peakIndex, plan.peakOp)
                 .str(),
             attributes);
}

/// A model whose every value lives in caller buffers (a single elementwise
/// op, say) has an empty plan; its picture says so rather than drawing
/// empty axes.
static void emitEmptyPlan(const ModelInterface &model, llvm::raw_ostream &os) {
  const MemoryPlan &plan = model.memory;
  os << "<rect class=\"plot\" x=\"" << num(kLeft) << "\" y=\"" << num(kTop)
     << "\" width=\"" << num(kPlotWidth) << "\" height=\"" << num(kPlotHeight)
     << "\" fill=\"#fafafa\" stroke=\"#999\" stroke-dasharray=\"6 4\"/>\n";
  std::string message =
      plan.arenaSize == 0
          ? model.name + " needs no arena: every value lives in the "
                         "caller's input and output buffers"
          : model.name + " has no intermediate buffers (arena " +
                bytesText(plan.arenaSize) + ")";
  emitText(os, kLeft + kPlotWidth / 2, kTop + kPlotHeight / 2, message,
           "class=\"empty\" font-size=\"18\" text-anchor=\"middle\" "
           "fill=\"#555\"");
}

namespace {
/// A horizontal line across the plot at an arena offset.
struct Level {
  uint64_t bytes;
  std::string cls, label, colour, dash;
  double width;
};
} // namespace

void sieve::emitMemoryMapSvg(const ModelInterface &model,
                             const TargetInfo &target, llvm::raw_ostream &os) {
  const MemoryPlan &plan = model.memory;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\""
     << num(kWidth) << "\" height=\"" << num(kHeight) << "\" viewBox=\"0 0 "
     << num(kWidth) << " " << num(kHeight)
     << "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n";
  os << "<title>"
     << escape(("Sieve memory map: " + model.name + " on " + target.name).str())
     << "</title>\n";
  // Shared storage is hatched on top of the buffer's own colour, so that the
  // layer stays recognisable.
  os << "<defs><pattern id=\"shared\" width=\"6\" height=\"6\" "
        "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
        "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#222\" "
        "stroke-width=\"1.6\" stroke-opacity=\"0.5\"/></pattern></defs>\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  emitHeading(model, target, os);
  if (plan.buffers.empty()) {
    emitEmptyPlan(model, os);
    os << "</svg>\n";
    return;
  }

  // Scales. Across: the ops from the first buffer's birth to the last one's
  // death (the constants and views before them hold no arena bytes); up: the
  // arena, and the budget when it is close enough to be worth drawing.
  unsigned opMin = plan.peakIndex, opMax = plan.peakIndex;
  uint64_t top = std::max(plan.arenaSize, plan.lowerBound);
  for (const PlannedBuffer &b : plan.buffers) {
    opMin = std::min(opMin, b.first);
    opMax = std::max(opMax, b.last);
    top = std::max(top, b.offset + b.size);
  }
  bool budgetDrawn = plan.budget && plan.budget <= kBudgetRange * top;
  if (budgetDrawn)
    top = std::max(top, plan.budget);
  uint64_t step = byteStep(top);
  uint64_t bytesMax = std::max<uint64_t>(step, (top + step - 1) / step * step);
  unsigned numOps = opMax - opMin + 1;
  double pxPerOp = kPlotWidth / numOps;
  double pxPerByte = kPlotHeight / static_cast<double>(bytesMax);
  auto xOf = [&](unsigned op) { return kLeft + (op - opMin) * pxPerOp; };
  auto yOf = [&](uint64_t bytes) { return kPlotBottom - bytes * pxPerByte; };

  // The plot area carries its scales, so that a script can check every box.
  os << "<rect class=\"plot\" x=\"" << num(kLeft) << "\" y=\"" << num(kTop)
     << "\" width=\"" << num(kPlotWidth) << "\" height=\"" << num(kPlotHeight)
     << "\" data-op-min=\"" << opMin << "\" data-op-max=\"" << opMax
     << "\" data-bytes-max=\"" << bytesMax << "\" fill=\"#fcfcfc\"/>\n";
  for (uint64_t tick = step; tick < bytesMax; tick += step)
    os << "<line x1=\"" << num(kLeft) << "\" y1=\"" << num(yOf(tick))
       << "\" x2=\"" << num(kPlotRight) << "\" y2=\"" << num(yOf(tick))
       << "\" stroke=\"#e6e6e6\"/>\n";

  // The peak: behind the boxes as a band, on top of them as an outline.
  double peakX = xOf(plan.peakIndex);
  os << "<rect class=\"peak\" data-op=\"" << plan.peakIndex << "\" x=\""
     << num(peakX) << "\" y=\"" << num(kTop) << "\" width=\"" << num(pxPerOp)
     << "\" height=\"" << num(kPlotHeight) << "\" fill=\"#fbdcd6\"/>\n";

  // Buffers: boxes first, then every label, so that no box hides a label.
  os << "<g class=\"buffers\">\n";
  for (auto [id, b] : llvm::enumerate(plan.buffers)) {
    StringRef key = layerOf(b);
    double x = xOf(b.first), y = yOf(b.offset + b.size);
    double width = (b.last - b.first + 1) * pxPerOp;
    double height = b.size * pxPerByte;
    std::string tooltip =
        formatv("buffer {0}: {1} at offset {2}, ops {3}-{4}"
                "\nwritten by {5}{6}{7}",
                id, bytesText(b.size), b.offset, b.first, b.last, b.op,
                b.loc.empty() ? "" : " at ", b.loc)
            .str();
    if (b.sharesWith)
      tooltip += formatv("\nshares the storage of buffer {0} ({1})",
                         *b.sharesWith, b.sharing)
                     .str();
    os << "<rect class=\"buffer\" data-id=\"" << id << "\" data-bytes=\""
       << b.size << "\" data-offset=\"" << b.offset << "\" data-first=\""
       << b.first << "\" data-last=\"" << b.last << "\"";
    if (b.sharesWith)
      os << " data-shares-with=\"" << *b.sharesWith << "\" data-sharing=\""
         << escape(b.sharing) << "\"";
    os << " x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\""
       << num(width) << "\" height=\"" << num(height) << "\" fill=\""
       << layerColour(key) << "\" stroke=\"" << layerColour(key, /*dark=*/true)
       << "\" stroke-width=\"0.6\"";
    if (b.sharesWith)
      os << " stroke-dasharray=\"3 2\"";
    os << "><title>" << escape(tooltip) << "</title></rect>\n";
    if (b.sharesWith)
      os << "<rect class=\"shared\" x=\"" << num(x) << "\" y=\"" << num(y)
         << "\" width=\"" << num(width) << "\" height=\"" << num(height)
         << "\" fill=\"url(#shared)\" pointer-events=\"none\"/>\n";
  }
  // Two branches of an scf.if usually give two identical boxes with the
  // same label; one label is enough.
  std::set<std::string> labelled;
  for (const PlannedBuffer &b : plan.buffers) {
    StringRef label = layerOf(b);
    double x = xOf(b.first), y = yOf(b.offset + b.size);
    double width = (b.last - b.first + 1) * pxPerOp;
    double height = b.size * pxPerByte;
    double cx = x + width / 2, cy = y + height / 2;
    double length = textWidth(label, kLabelFont) + 4;
    bool across = width >= length && height >= kLabelFont + 2;
    bool up = !across && height >= length && width >= kLabelFont + 2;
    if (!across && !up)
      continue;
    if (!labelled.insert(formatv("{0} {1} {2}", num(cx), num(cy), label).str())
             .second)
      continue;
    // 0.35 em below the centre puts the x-height in the middle of the box.
    double baseline = 0.35 * kLabelFont;
    if (across)
      emitText(os, cx, cy + baseline, label,
               formatv("class=\"label\" font-size=\"{0}\" "
                       "text-anchor=\"middle\" pointer-events=\"none\"",
                       num(kLabelFont))
                   .str());
    else
      emitText(os, cx + baseline, cy, label,
               formatv("class=\"label\" font-size=\"{0}\" "
                       "text-anchor=\"middle\" pointer-events=\"none\" "
                       "transform=\"rotate(-90 {1} {2})\"",
                       num(kLabelFont), num(cx + baseline), num(cy))
                   .str());
  }
  os << "</g>\n";
  os << "<rect x=\"" << num(peakX) << "\" y=\"" << num(kTop) << "\" width=\""
     << num(pxPerOp) << "\" height=\"" << num(kPlotHeight)
     << "\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.2\" "
        "pointer-events=\"none\"/>\n";
  emitText(os, std::clamp(peakX + pxPerOp / 2, kLeft + 20, kPlotRight - 20),
           kTop - 6, "peak",
           "font-size=\"11\" fill=\"#c0392b\" text-anchor=\"middle\"");

  // Levels: the arena, the lower bound no placement can beat, the budget.
  std::vector<Level> levels;
  levels.push_back({plan.arenaSize, "arena", "arena", "#222", "", 1.6});
  levels.push_back(
      {plan.lowerBound, "lower-bound", "lower bound", "#1f5fbf", "5 4", 1.4});
  if (budgetDrawn)
    levels.push_back({plan.budget, "budget", "budget", "#c0392b", "9 4", 1.6});
  for (const Level &level : levels)
    os << "<line class=\"" << level.cls << "\" data-bytes=\"" << level.bytes
       << "\" x1=\"" << num(kLeft) << "\" y1=\"" << num(yOf(level.bytes))
       << "\" x2=\"" << num(kPlotRight) << "\" y2=\"" << num(yOf(level.bytes))
       << "\" stroke=\"" << level.colour << "\" stroke-width=\""
       << num(level.width) << "\""
       << (level.dash.empty() ? "" : " stroke-dasharray=\"" + level.dash + "\"")
       << "/>\n";
  // What the budget leaves free, where it is: SRAM for the rest of the
  // firmware.
  if (budgetDrawn && plan.budget > plan.arenaSize &&
      yOf(plan.arenaSize) - yOf(plan.budget) >= 20)
    emitText(os, kLeft + kPlotWidth / 2,
             (yOf(plan.arenaSize) + yOf(plan.budget)) / 2 + 4,
             "free under the budget: " +
                 bytesText(plan.budget - plan.arenaSize),
             "font-size=\"12\" text-anchor=\"middle\" fill=\"#888\"");
  // Their labels in the right margin, two lines each, pushed apart where
  // the levels are close; equal arena and lower bound share one label.
  if (plan.arenaSize == plan.lowerBound) {
    levels[0].label = "arena = lower bound";
    levels.erase(levels.begin() + 1);
  }
  llvm::sort(levels,
             [](const Level &a, const Level &b) { return a.bytes > b.bytes; });
  double nextY = kTop + 10;
  for (const Level &level : levels) {
    double y = std::max(yOf(level.bytes), nextY);
    nextY = y + 28;
    std::string fill = "fill=\"" + level.colour + "\" font-size=\"12\"";
    emitText(os, kPlotRight + 8, y - 2, level.label, fill);
    emitText(os, kPlotRight + 8, y + 12, bytesText(level.bytes), fill);
  }
  if (plan.budget && !budgetDrawn) {
    const char *attributes =
        "class=\"budget-note\" fill=\"#c0392b\" font-size=\"11\"";
    double ratio = double(plan.budget) / std::max<uint64_t>(plan.arenaSize, 1);
    emitText(os, kPlotRight + 8, kTop - 30,
             "\xE2\x86\x91 budget " + shortBytes(plan.budget), attributes);
    emitText(os, kPlotRight + 8, kTop - 16,
             formatv(ratio < 10 ? "off the scale: {0:f1}\xC3\x97 the arena"
                                : "off the scale: {0:f0}\xC3\x97 the arena",
                     ratio)
                 .str(),
             attributes);
  }

  // Axes.
  os << "<rect x=\"" << num(kLeft) << "\" y=\"" << num(kTop) << "\" width=\""
     << num(kPlotWidth) << "\" height=\"" << num(kPlotHeight)
     << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (uint64_t tick = 0; tick <= bytesMax; tick += step) {
    double y = yOf(tick);
    os << "<line x1=\"" << num(kLeft - 5) << "\" y1=\"" << num(y) << "\" x2=\""
       << num(kLeft) << "\" y2=\"" << num(y) << "\" stroke=\"#444\"/>\n";
    emitText(os, kLeft - 8, y + 4, tick ? shortBytes(tick) : "0",
             "font-size=\"11\" text-anchor=\"end\"");
  }
  unsigned every = opStep(numOps);
  for (unsigned op = (opMin + every - 1) / every * every; op <= opMax;
       op += every) {
    double x = xOf(op) + pxPerOp / 2;
    os << "<line x1=\"" << num(x) << "\" y1=\"" << num(kPlotBottom)
       << "\" x2=\"" << num(x) << "\" y2=\"" << num(kPlotBottom + 5)
       << "\" stroke=\"#444\"/>\n";
    emitText(os, x, kPlotBottom + 18, std::to_string(op),
             "font-size=\"11\" text-anchor=\"middle\"");
  }
  emitText(os, kLeft + kPlotWidth / 2, kPlotBottom + 38,
           "top-level op (after bufferization); a buffer lives from the op "
           "that writes it to the last that reads it",
           "font-size=\"12\" text-anchor=\"middle\" fill=\"#333\"");
  double axisX = 18, axisY = kTop + kPlotHeight / 2;
  emitText(os, axisX, axisY, "offset in the arena",
           formatv("font-size=\"12\" text-anchor=\"middle\" fill=\"#333\" "
                   "transform=\"rotate(-90 {0} {1})\"",
                   num(axisX), num(axisY))
               .str());

  // Legend.
  double legendY = kPlotBottom + 66, x = kLeft;
  auto swatch = [&](StringRef attributes, StringRef text) {
    os << "<rect x=\"" << num(x) << "\" y=\"" << num(legendY - 10)
       << "\" width=\"22\" height=\"12\" " << attributes << "/>\n";
    emitText(os, x + 28, legendY, text, "font-size=\"12\"");
    x += 28 + textWidth(text, 12, kAverageGlyph) + 30;
  };
  StringRef firstLayer = layerOf(plan.buffers.front());
  swatch("fill=\"" + layerColour(firstLayer) + "\" stroke=\"" +
             layerColour(firstLayer, /*dark=*/true) + "\"",
         "buffer (colour: the layer that writes it)");
  os << "<rect x=\"" << num(x) << "\" y=\"" << num(legendY - 10)
     << "\" width=\"22\" height=\"12\" fill=\"#ddd\"/>\n";
  swatch("fill=\"url(#shared)\" stroke=\"#555\" stroke-dasharray=\"3 2\"",
         "shared storage (in place, or the other branch of an if)");
  swatch("fill=\"#fbdcd6\" stroke=\"#c0392b\"",
         "peak: the op where the lower bound is live");
  os << "</svg>\n";
}
