#pragma once
// metrics.jsonl: one JSON object per line, appended and flushed line by line, so a killed run
// loses at most the line being written (which resume then drops).

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace lrnn {

// One JSON object built field by field, numbers in their shortest exact form
// (non-finite numbers become null).
class JsonObject {
public:
    JsonObject& add(const std::string& key, double value);
    JsonObject& add(const std::string& key, long long value);
    JsonObject& add(const std::string& key, const std::string& value);
    std::string str() const { return "{" + body_ + "}"; }

private:
    void key(const std::string& k);
    std::string body_;
};

class MetricsLog {
public:
    explicit MetricsLog(const std::string& path);  // appends
    ~MetricsLog();
    MetricsLog(const MetricsLog&) = delete;
    MetricsLog& operator=(const MetricsLog&) = delete;

    void write(const JsonObject& row);

private:
    std::string path_;
    std::FILE* file_ = nullptr;
};

}  // namespace lrnn
