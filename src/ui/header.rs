//! The header: one meter per logical CPU (user / nice / system / irq / steal), memory and swap,
//! tasks, load, uptime, and one line of machine identity.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::app::App;
use crate::collect::model::CpuTimes;
use crate::ui::format::{fmt_bytes, fmt_uptime};
use crate::ui::{Theme, put, render_meter};

/// Rows the process table keeps before the header gives way.
pub const MIN_TABLE_ROWS: u16 = 4;

fn cpu_segments(c: &CpuTimes, theme: &Theme) -> [(f64, Style); 5] {
    let f = |v: f32| f64::from(v) / 100.0;
    [
        (f(c.user), theme.bar_user),
        (f(c.nice), theme.bar_nice),
        (f(c.system), theme.bar_system),
        (f(c.irq), theme.bar_irq),
        (f(c.steal), theme.bar_steal),
    ]
}

fn grid_columns(n: usize) -> usize {
    match n {
        0..=8 => 1,
        9..=32 => 2,
        33..=64 => 4,
        _ => 8,
    }
}

/// Lines the full header needs at this width (CPU rows + memory + swap, or the right column,
/// whichever is taller, plus the identity line).
pub fn full_height(app: &App, width: u16) -> u16 {
    let n = app.snapshot.system.cpus.len().max(1);
    let rows = n.div_ceil(grid_columns(n)) as u16;
    let left = rows + 2;
    if width < 60 { left + 1 } else { left.max(4) + 1 }
}

/// Draws the header into the top of `area` using at most `max_height` lines and returns the
/// area left below it. Gives way gracefully: full, then without identity, then one line, then
/// nothing.
pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, max_height: u16) -> Rect {
    let full = full_height(app, area.width);
    let (height, identity) = if full <= max_height {
        (full, true)
    } else if full - 1 <= max_height {
        (full - 1, false)
    } else if max_height >= 1 {
        render_compact(buf, Rect { height: 1, ..area }, app, theme);
        return Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
    } else {
        return area;
    };
    let head = Rect { height: height.min(area.height), ..area };
    let sys = &app.snapshot.system;
    let wide = area.width >= 60;
    let left = if wide { Rect { width: area.width / 2, ..head } } else { head };
    let right = Rect { x: left.right() + 1, width: area.width.saturating_sub(left.width + 1), ..head };

    // CPU meters in a grid.
    let n = sys.cpus.len();
    let cols = grid_columns(n.max(1));
    let rows = n.div_ceil(cols).max(1) as u16;
    let digits = n.saturating_sub(1).to_string().len().max(2);
    let col_w = left.width / cols as u16;
    for (i, c) in sys.cpus.iter().enumerate() {
        let (r, k) = ((i % rows as usize) as u16, (i / rows as usize) as u16);
        let cell = Rect {
            x: left.x + k * col_w,
            y: left.y + r,
            width: col_w.saturating_sub(u16::from(k + 1 < cols as u16)),
            height: 1,
        };
        let label = format!("{i:>digits$}");
        let text = format!("{:.1}%", c.busy());
        render_meter(buf, cell, cell.y, &label, &cpu_segments(c, theme), &text, theme);
    }
    let y = left.y + rows;
    let mem_frac = if sys.mem_total > 0 { sys.mem_used as f64 / sys.mem_total as f64 } else { 0.0 };
    let swap_frac = if sys.swap_total > 0 { sys.swap_used as f64 / sys.swap_total as f64 } else { 0.0 };
    let pad = " ".repeat(digits.saturating_sub(3));
    render_meter(
        buf,
        left,
        y,
        &format!("{pad}Mem"),
        &[(mem_frac, theme.bar_mem)],
        &format!("{}/{}", fmt_bytes(sys.mem_used), fmt_bytes(sys.mem_total)),
        theme,
    );
    render_meter(
        buf,
        left,
        y + 1,
        &format!("{pad}Swp"),
        &[(swap_frac, theme.bar_swap)],
        &format!("{}/{}", fmt_bytes(sys.swap_used), fmt_bytes(sys.swap_total)),
        theme,
    );

    if wide {
        let mut y = right.y;
        let mut line = |parts: &[(&str, Style)]| {
            let mut x = right.x;
            for (t, s) in parts {
                x = put(buf, right, x, y, t, *s);
            }
            y += 1;
        };
        let (procs, thr, kthr, run) = (
            sys.processes.to_string(),
            sys.threads.to_string(),
            sys.kernel_threads.to_string(),
            sys.running.to_string(),
        );
        line(&[
            ("Tasks: ", theme.label),
            (&procs, theme.value),
            (", ", theme.text),
            (&thr, theme.thread_row),
            (" thr, ", theme.text),
            (&kthr, theme.kernel_row),
            (" kthr; ", theme.text),
            (&run, theme.value),
            (" running", theme.text),
        ]);
        let load = format!("{:.2} {:.2} {:.2}", sys.load[0], sys.load[1], sys.load[2]);
        line(&[("Load average: ", theme.label), (&load, theme.value)]);
        let up = fmt_uptime(sys.uptime);
        line(&[("Uptime: ", theme.label), (&up, theme.value)]);
        let t = &sys.total;
        let total = format!("{:.1}%", t.busy());
        let split = format!(" usr {:.1} sys {:.1} st {:.1}", t.user + t.nice, t.system + t.irq, t.steal);
        line(&[("CPU: ", theme.label), (&total, theme.value), (&split, theme.dim)]);
    }
    if identity {
        let id = &sys.identity;
        let phys = id.physical_cores.map(|p| p.to_string()).unwrap_or_else(|| "?".into());
        // Whole parts only, the least needed dropped first; the CPU% note matters most after
        // the cores, so it goes last but one.
        let parts = [
            id.cpu_model.trim().to_string(),
            format!("{phys} physical / {} logical cores", id.logical_cores.max(n)),
            "CPU% = share of one core".to_string(),
            id.os.to_string(),
            format!("Linux {}", id.kernel),
            id.arch.to_string(),
        ];
        let width = head.width as usize;
        let mut keep = parts.len();
        let joined = |k: usize| parts[..k].join(" · ");
        while keep > 1 && joined(keep).chars().count() > width {
            keep -= 1;
        }
        put(buf, head, head.x, head.y + height - 1, &joined(keep), theme.dim);
    }
    Rect { y: area.y + height, height: area.height.saturating_sub(height), ..area }
}

fn render_compact(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let sys = &app.snapshot.system;
    let text = format!(
        "CPU {:.0}% · Mem {}/{} · Load {:.2}",
        sys.total.busy(),
        fmt_bytes(sys.mem_used),
        fmt_bytes(sys.mem_total),
        sys.load[0]
    );
    put(buf, area, area.x, area.y, &text, theme.text);
}
