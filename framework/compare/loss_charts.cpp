#include "compare/loss_charts.hpp"

#include <algorithm>
#include <cmath>

#include "compare/palette.hpp"

namespace lrnn {

std::vector<NamedChart> loss_charts(const std::vector<RunRecord>& runs) {
    struct Spec {
        const char* file;
        const char* id;
        const char* title;
        const char* x_label;
        bool validation;
        bool against_time;
    };
    const Spec specs[] = {
        {"train_loss_vs_step.svg", "train-step", "Training loss by step", "step", false, false},
        {"val_loss_vs_step.svg", "val-step", "Validation loss by step", "step", true, false},
        {"train_loss_vs_time.svg", "train-time", "Training loss by wall-clock time", "seconds", false, true},
        {"val_loss_vs_time.svg", "val-time", "Validation loss by wall-clock time", "seconds", true, true},
    };
    // Losses start near ln(vocab) and fall; a run climbing far above where every run
    // started has diverged. All four charts cut their y axis at 1.5 x the highest first
    // logged training loss.
    double start_loss = 0;
    for (const RunRecord& run : runs)
        for (const MetricsRow& row : run.metrics)
            if (row.loss && std::isfinite(*row.loss)) {
                start_loss = std::max(start_loss, *row.loss);
                break;
            }
    std::vector<NamedChart> charts;
    for (const Spec& spec : specs) {
        NamedChart named;
        named.file = spec.file;
        LineChart& chart = named.chart;
        chart.id = spec.id;
        chart.title = spec.title;
        chart.x_label = spec.x_label;
        chart.y_label = spec.validation ? "validation loss (nats/token)" : "training loss (nats/token)";
        for (std::size_t i = 0; i < runs.size(); ++i) {
            const RunRecord& run = runs[i];
            ChartSeries s;
            s.name = run.name + (run.status == RunStatus::Ok ? "" : std::string(" (") + to_string(run.status) + ")");
            s.color = run_color(i);
            s.dash = run.status == RunStatus::Ok ? run_dash(i) : "6 4";
            s.markers = spec.validation;
            for (const MetricsRow& row : run.metrics) {
                const std::optional<double>& y = spec.validation ? row.val_loss : row.loss;
                const std::optional<double> x = spec.against_time ? row.elapsed_s : std::optional<double>(double(row.step));
                // Skipped steps log a non-finite loss (null): left out, not drawn as 0.
                if (x && y && std::isfinite(*x) && std::isfinite(*y)) s.points.emplace_back(*x, *y);
            }
            if (!s.points.empty()) chart.series.push_back(std::move(s));
        }
        if (start_loss > 0) chart.y_cap = 1.5 * start_loss;
        charts.push_back(std::move(named));
    }
    return charts;
}

}  // namespace lrnn
