#include "runtime/model/json_writer.hpp"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

TEST(json_writer, nests_and_separates) {
  json_writer w;
  w.begin_object().field("a", 1).key("b").begin_array().value("x").value(true).null().end_array();
  w.field("c", 2.5).end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":["x",true,null],"c":2.5})");
}

TEST(json_writer, escapes_control_quotes_and_invalid_utf8) {
  std::string out;
  append_json_string(out, std::string{"a\"b\\c\n\x01"} + "\xff" + "\xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\xc3\xa9\"");
}

TEST(json_writer, prints_shortest_round_trip_doubles) {
  json_writer w;
  w.begin_array().value(0.1).value(95.0).value(1e300).end_array();
  EXPECT_EQ(w.str(), "[0.1,95,1e+300]");
}

} // namespace
} // namespace vigil::model
