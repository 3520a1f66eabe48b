// The query printer (Riemann's AST as an s-expression).
#include "events/query/printer.h"

#include <charconv>
#include <cmath>

#include "core/text.h"

namespace vigie::events::query_internal {

void AppendEdnString(std::string_view s, std::string& out) {
  AppendQuoted(s, out, QuoteStyle::kEdn);
}

void AppendJavaDouble(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "##NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "##Inf" : "##-Inf";
  } else {
    // As Java's Double.toString: plain for 1e-3 <= |d| < 1e7, else
    // "1.0E10"; always a digit after the point.
    char buf[64];
    double mag = std::fabs(d);
    bool plain = mag == 0 || (mag >= 1e-3 && mag < 1e7);
    auto r = std::to_chars(buf, buf + sizeof(buf), d,
                           plain ? std::chars_format::fixed : std::chars_format::scientific);
    std::string s(buf, r.ptr);
    size_t e = s.find('e');
    std::string mantissa = s.substr(0, e);
    if (mantissa.find('.') == std::string::npos)
      mantissa += ".0";
    out += mantissa;
    if (e != std::string::npos) {
      int exponent = std::stoi(s.substr(e + 1));
      out += "E" + std::to_string(exponent);
    }
  }
}

namespace {

void AppendOperand(const Operand& o, std::string& out) {
  if (o.is_field) {
    out += ":" + o.name;
    return;
  }
  switch (o.kind) {
    case QueryValue::Kind::kNil:
      out += "nil";
      break;
    case QueryValue::Kind::kBool:
      out += o.b ? "true" : "false";
      break;
    case QueryValue::Kind::kInt:
      out += std::to_string(o.i);
      break;
    case QueryValue::Kind::kDouble:
      AppendJavaDouble(o.d, out);
      break;
    case QueryValue::Kind::kString:
      AppendEdnString(o.str, out);
      break;
    case QueryValue::Kind::kTags:
      break;
  }
}

}  // namespace

void AppendAst(const EventQuery::Impl& q, uint32_t index, std::string& out) {
  const Node& n = q.nodes[index];
  auto binary = [&](const char* op) {
    out += "(";
    out += op;
    out += " ";
    AppendOperand(n.a, out);
    out += " ";
    AppendOperand(n.b, out);
    out += ")";
  };
  switch (n.kind) {
    case NodeKind::kValue:
      AppendOperand(n.a, out);
      break;
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      // Riemann's parse is binary and left-associative.
      const char* op = n.kind == NodeKind::kAnd ? "(and " : "(or ";
      for (size_t k = 1; k < n.children.size(); ++k)
        out += op;
      AppendAst(q, n.children[0], out);
      for (size_t k = 1; k < n.children.size(); ++k) {
        out += " ";
        AppendAst(q, n.children[k], out);
        out += ")";
      }
      break;
    }
    case NodeKind::kNot:
      out += "(not ";
      AppendAst(q, n.children[0], out);
      out += ")";
      break;
    case NodeKind::kEq:
      binary("=");
      break;
    case NodeKind::kNe:
      binary("not=");
      break;
    case NodeKind::kLt:
      binary("<");
      break;
    case NodeKind::kGt:
      binary(">");
      break;
    case NodeKind::kLe:
      binary("<=");
      break;
    case NodeKind::kGe:
      binary(">=");
      break;
    case NodeKind::kLike:
    case NodeKind::kRegex:
      out += n.kind == NodeKind::kLike ? "(:like " : "(:regex ";
      if (n.kind == NodeKind::kRegex)
        out += "#";
      AppendEdnString(n.text, out);
      out += " ";
      AppendOperand(n.a, out);
      out += ")";
      break;
    case NodeKind::kTagged:
      out += "(:tagged ";
      AppendEdnString(n.text, out);
      out += ")";
      break;
  }
}

}  // namespace vigie::events::query_internal
