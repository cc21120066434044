using System.Globalization;
using System.Text;

namespace ActorPipeline.Host;

/// <summary>A line chart written as SVG by hand: lines over a shared x axis, each on the left or the right y axis, with
/// ticks, labels and a legend. SVG is text: it needs none of the native drawing code a PNG does (<see cref="PngChart"/>).</summary>
internal sealed class SvgChart(string title, string xLabel, string leftLabel, string rightLabel) : IChart
{
    /// <summary>The chart's size in pixels, PNG and SVG alike.</summary>
    public const int Width = 1200;

    /// <inheritdoc cref="Width"/>
    public const int Height = 600;
    private const int Left = 90;
    private const int Right = 90;
    private const int Top = 50;
    private const int Bottom = 60;

    private readonly List<(string Label, string Color, double[] Xs, double[] Ys, bool RightAxis, bool Dashed)> _lines = [];

    public void Add(string label, string color, double[] xs, double[] ys, bool rightAxis = false, bool dashed = false) =>
        _lines.Add((label, color, xs, ys, rightAxis, dashed));

    public void Write(string path) => File.WriteAllText(path, Render());

    /// <summary>The chart as an SVG document.</summary>
    public string Render()
    {
        var xMax = Nice(_lines.SelectMany(l => l.Xs).DefaultIfEmpty(1).Max());
        var leftMax = Nice(_lines.Where(l => !l.RightAxis).SelectMany(l => l.Ys).DefaultIfEmpty(1).Max());
        var rightMax = Nice(_lines.Where(l => l.RightAxis).SelectMany(l => l.Ys).DefaultIfEmpty(1).Max());
        double X(double x) => Left + x / xMax * (Width - Left - Right);
        double Y(double y, double max) => Height - Bottom - y / max * (Height - Top - Bottom);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"13\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        Text(svg, Width / 2.0, 28, title, "middle", 16, bold: true);
        for (var i = 0; i <= 5; i++)
        {
            var fraction = i / 5.0;
            var y = Y(fraction * leftMax, leftMax);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#e4e4e4\"/>\n");
            Text(svg, Left - 8, y + 4, Number(fraction * leftMax), "end");
            Text(svg, Width - Right + 8, y + 4, Number(fraction * rightMax), "start");
            var x = X(fraction * xMax);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Height - Bottom}\" stroke=\"#e4e4e4\"/>\n");
            Text(svg, x, Height - Bottom + 18, Number(fraction * xMax), "middle");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#888\"/>\n");
        Text(svg, Width / 2.0, Height - 18, xLabel, "middle", bold: true);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"22\" y=\"{Height / 2}\" text-anchor=\"middle\" font-weight=\"bold\" transform=\"rotate(-90 22 {Height / 2})\">{Escape(leftLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - 22}\" y=\"{Height / 2}\" text-anchor=\"middle\" font-weight=\"bold\" transform=\"rotate(90 {Width - 22} {Height / 2})\">{Escape(rightLabel)}</text>\n");

        foreach (var line in _lines)
        {
            var max = line.RightAxis ? rightMax : leftMax;
            var points = string.Join(' ', line.Xs.Zip(line.Ys, (x, y) => string.Create(CultureInfo.InvariantCulture, $"{X(x):0.#},{Y(y, max):0.#}")));
            svg.Append(CultureInfo.InvariantCulture,
                $"<polyline points=\"{points}\" fill=\"none\" stroke=\"{line.Color}\" stroke-width=\"2\"{(line.Dashed ? " stroke-dasharray=\"8 5\"" : "")}/>\n");
        }

        for (var i = 0; i < _lines.Count; i++)
        {
            var y = Top + 20 + i * 20;
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{Left + 12}\" y1=\"{y - 4}\" x2=\"{Left + 40}\" y2=\"{y - 4}\" stroke=\"{_lines[i].Color}\" stroke-width=\"2\"{(_lines[i].Dashed ? " stroke-dasharray=\"8 5\"" : "")}/>\n");
            Text(svg, Left + 46, y, _lines[i].Label, "start");
        }

        return svg.Append("</svg>\n").ToString();
    }

    // The next round number above the largest value: 1, 2 or 5 times a power of ten.
    private static double Nice(double max)
    {
        if (max <= 0 || double.IsNaN(max))
            return 1;
        var power = Math.Pow(10, Math.Floor(Math.Log10(max)));
        return new[] { 1, 2, 5, 10 }.Select(m => m * power).First(v => v >= max);
    }

    private static string Number(double value) =>
        value >= 1e6 ? string.Create(CultureInfo.InvariantCulture, $"{value / 1e6:0.#} M")
        : value >= 1e4 ? string.Create(CultureInfo.InvariantCulture, $"{value / 1e3:0.#} k")
        : string.Create(CultureInfo.InvariantCulture, $"{value:0.##}");

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, int size = 13, bool bold = false) =>
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"{size}\"{(bold ? " font-weight=\"bold\"" : "")}>{Escape(text)}</text>\n");

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
