#include "runtime/model/yaml_limits.hpp"

#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace vigil::model {

namespace {

/// Where a problem is: 1-based line and byte column.
struct text_position {
  int line = 1;
  int column = 1;
};

/// The length of the UTF-8 sequence at `s[i]` and its code point; 0 when it is not valid
/// UTF-8 (a stray continuation byte, a truncated or overlong sequence, a surrogate, a code
/// point past U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t n = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < n)
    return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/// YAML 1.2's c-printable: the characters a YAML stream may hold.
bool yaml_printable(char32_t c) noexcept {
  return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85
         || (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
         || (c >= 0x10000 && c <= 0x10FFFF);
}

std::string hex_byte(unsigned char b) {
  static constexpr char digits[] = "0123456789ABCDEF";
  return std::string{"0x"} + digits[b >> 4] + digits[b & 0xF];
}

std::string code_point_name(char32_t c) {
  if (c == 0)
    return "a NUL character (U+0000)";
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string hex;
  for (int shift = c > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4)
    hex += digits[(c >> shift) & 0xF];
  return "the control character U+" + hex;
}

/// The first byte of `s` that is not UTF-8 or a character YAML forbids, with why.
std::optional<std::pair<std::size_t, std::string>> first_bad_character(std::string_view s,
                                                                       bool in_scalar) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const auto n = utf8_sequence(s, i, cp);
    if (n == 0)
      return std::pair{i, "invalid UTF-8 (byte " + hex_byte(static_cast<unsigned char>(s[i]))
                            + "); YAML files must be UTF-8"};
    if (cp == 0)
      return std::pair{i, code_point_name(cp) + (in_scalar ? ", written as an escape," : "")
                            + " is not allowed in YAML"};
    if (!in_scalar && !yaml_printable(cp))
      return std::pair{i, code_point_name(cp) + " is not allowed in YAML"};
    i += n;
  }
  return std::nullopt;
}

text_position position_of(std::string_view s, std::size_t offset) noexcept {
  text_position p;
  for (std::size_t i = 0; i < offset; ++i) {
    if (s[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

/// Why the event pass stopped (thrown through yaml-cpp's parser, caught in `check_yaml_text`).
struct refusal {
  YAML::Mark mark;
  std::string message;
};

/// Counts the nodes a walk over the document would visit, aliases expanded, without building
/// it: each anchor remembers its expanded size once its node is complete. An alias to an
/// anchor whose node is still open is a cycle.
class expansion_counter final : public YAML::EventHandler {
public:
  explicit expansion_counter(const yaml_limits& limits)
    : budget_(limits.max_nodes), max_depth_(limits.max_depth) {}

  void OnDocumentStart(const YAML::Mark&) override {
    anchors_.clear(); // anchors belong to one document
    names_.clear();
  }
  void OnDocumentEnd() override {}

  void OnAnchor(const YAML::Mark&, const std::string& name) override { names_.push_back(name); }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }

  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    // The text was checked already; escapes (`"\0"`) can still put a NUL in a value.
    if (auto bad = first_bad_character(value, true))
      throw refusal{mark, bad->second};
    leaf(mark, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto& a = state(anchor);
    if (a.open)
      throw refusal{mark, "the alias *" + name(anchor)
                            + " is inside the node its anchor names (a cycle)"};
    add(mark, a.expanded);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

private:
  struct anchor_state {
    uint64_t expanded = 1;
    bool open = false;
  };
  struct open_node {
    YAML::anchor_t anchor;
    uint64_t nodes;
  };

  anchor_state& state(YAML::anchor_t anchor) {
    if (anchor >= anchors_.size())
      anchors_.resize(anchor + 1);
    return anchors_[anchor];
  }

  std::string name(YAML::anchor_t anchor) const {
    // yaml-cpp numbers a document's anchors 1, 2, ... in the order it reports them.
    return anchor >= 1 && anchor <= names_.size() ? names_[anchor - 1] : std::string{"?"};
  }

  /// Counts `nodes` more visited nodes; refuses past the budget.
  void count(const YAML::Mark& mark, uint64_t nodes) {
    total_ += nodes; // each term is at most budget_ + 1: no overflow
    if (total_ > budget_)
      throw refusal{mark, "the document expands to more than " + std::to_string(budget_)
                            + " nodes (each alias counts as the nodes of its anchor)"};
  }

  /// A complete node of `nodes` nodes inside the innermost open one.
  void add(const YAML::Mark& mark, uint64_t nodes) {
    count(mark, nodes);
    if (!stack_.empty())
      stack_.back().nodes += nodes;
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor)
      state(anchor) = anchor_state{1, false};
    add(mark, 1);
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor)
      state(anchor).open = true;
    count(mark, 1);
    if (stack_.size() >= max_depth_)
      throw refusal{mark, "lists and maps are nested deeper than " + std::to_string(max_depth_)
                            + " levels"};
    stack_.push_back(open_node{anchor, 1});
  }

  void close() {
    if (stack_.empty())
      return;
    const auto done = stack_.back();
    stack_.pop_back();
    if (done.anchor != YAML::NullAnchor)
      state(done.anchor) = anchor_state{done.nodes, false};
    if (!stack_.empty())
      stack_.back().nodes += done.nodes; // counted in total_ as they came
  }

  uint64_t budget_;
  std::size_t max_depth_;
  uint64_t total_ = 0;
  std::vector<anchor_state> anchors_;
  std::vector<std::string> names_;
  std::vector<open_node> stack_;
};

diagnostic at_mark(const std::string& origin, const YAML::Mark& mark, std::string message) {
  diagnostic d{origin, "", 0, 0, std::move(message)};
  if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  return d;
}

} // namespace

diagnostics check_yaml_text(std::string_view text, const std::string& origin,
                            const yaml_limits& limits) {
  if (text.size() > limits.max_bytes)
    return {diagnostic{origin, "", 0, 0,
                       "too large: " + std::to_string(text.size()) + " bytes (at most "
                         + std::to_string(limits.max_bytes) + " bytes of YAML are read)"}};
  if (auto bad = first_bad_character(text, false)) {
    const auto p = position_of(text, bad->first);
    return {diagnostic{origin, "", p.line, p.column, bad->second}};
  }
  std::istringstream in{std::string{text}};
  YAML::Parser parser{in};
  expansion_counter counter{limits};
  try {
    while (parser.HandleNextDocument(counter)) {
    }
  } catch (const refusal& r) {
    return {at_mark(origin, r.mark, r.message)};
  } catch (const YAML::Exception& e) {
    return {at_mark(origin, e.mark, "invalid YAML: " + e.msg)};
  }
  return {};
}

expected_or_diagnostics<std::string> read_yaml_file(const std::string& path,
                                                    std::size_t max_bytes) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return diagnostics{diagnostic{path, "", 0, 0, "cannot read the file"}};
  std::string text;
  char buf[65536];
  while (text.size() <= max_bytes && in.read(buf, sizeof buf).gcount() > 0)
    text.append(buf, static_cast<std::size_t>(in.gcount()));
  if (in.bad())
    return diagnostics{diagnostic{path, "", 0, 0, "cannot read the file"}};
  if (text.size() > max_bytes)
    return diagnostics{diagnostic{path, "", 0, 0,
                                  "too large: more than " + std::to_string(max_bytes)
                                    + " bytes (at most " + std::to_string(max_bytes)
                                    + " bytes of YAML are read)"}};
  return text;
}

} // namespace vigil::model
